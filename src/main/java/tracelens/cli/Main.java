package tracelens.cli;

import picocli.CommandLine;

/** Entry point: the only place that exits the process. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests call {@code execute} on it with captured streams). */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new TracelensCommand());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setExitCodeExceptionMapper(ErrorHandler::exitCode);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }
}
