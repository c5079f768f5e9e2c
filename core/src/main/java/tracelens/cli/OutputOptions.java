package tracelens.cli;

import picocli.CommandLine.Option;

/** Options every command shares: machine-readable output, silence, and stack traces. */
public final class OutputOptions {
    @Option(names = "--json", description = "Print the result as JSON on stdout (logs and progress stay on stderr).")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "No progress or notes on stderr.")
    boolean quiet;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    public boolean json() {
        return json;
    }

    public boolean quiet() {
        return quiet;
    }
}
