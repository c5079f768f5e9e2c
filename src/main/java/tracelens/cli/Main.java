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
        // runtime options (threads) are applied once, here, for whichever command runs, before it loads a model
        cl.setExecutionStrategy(parsed -> {
            CommandLine.ParseResult leaf = parsed;
            while (leaf.subcommand() != null) {
                leaf = leaf.subcommand();
            }
            for (CommandLine.Model.CommandSpec mixin : leaf.commandSpec().mixins().values()) {
                if (mixin.userObject() instanceof RuntimeOptions runtime) {
                    try {
                        runtime.apply();
                    } catch (RuntimeException e) {
                        throw new CommandLine.ExecutionException(leaf.commandSpec().commandLine(), e.getMessage(), e);
                    }
                }
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        return cl;
    }
}
