package tracelens.cli;

import picocli.CommandLine;

/** Entry point: the only place that exits the process. */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(forArgs(args).execute(args));
    }

    /** The command line that runs {@code args}, built as {@link #commandLine(String)} describes. */
    public static CommandLine forArgs(String... args) {
        // the launcher's class-data-sharing recording run builds every command, so that all of them are archived
        boolean all = Boolean.getBoolean("tracelens.all_commands") || args.length == 0;
        return commandLine(all ? null : args[0]);
    }

    /** The configured command line with every command (tests call {@code execute} on it with captured streams). */
    public static CommandLine commandLine() {
        return commandLine(null);
    }

    /**
     * The configured command line; when {@code first} names a command, with that one alone (a run needs no other, and
     * building all of them costs 0.3 s at start, see TracelensCommand.SUBCOMMANDS); otherwise with all of them, for
     * help, the listing and "did you mean" suggestions.
     */
    public static CommandLine commandLine(String first) {
        CommandLine cl = new CommandLine(new TracelensCommand());
        Class<?> only = null;
        for (Class<?> c : TracelensCommand.SUBCOMMANDS) {
            if (c != CommandLine.HelpCommand.class && c.getAnnotation(CommandLine.Command.class).name().equals(first)) {
                only = c;
            }
        }
        for (Class<?> c : TracelensCommand.SUBCOMMANDS) {
            if (only == null || c == only) {
                cl.addSubcommand(c);
            }
        }
        return configure(cl);
    }

    /**
     * Gives a command line (with its subcommands added) tracelens's behaviour: errors as exit 2 for bad input and 1 for
     * defects, misspelt options named, runtime options applied before a command runs, --version everywhere. Used by
     * this CLI and by tracelens-spark's.
     */
    public static CommandLine configure(CommandLine cl) {
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setExitCodeExceptionMapper(ErrorHandler::exitCode);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        withVersion(cl);
        CommandLine.IParameterExceptionHandler standard = cl.getParameterExceptionHandler();
        // a misspelt required option ("--inptu") was reported only as the missing "--input": name it, with a suggestion
        cl.setParameterExceptionHandler((ex, args) -> {
            if (ex instanceof CommandLine.MissingParameterException) {
                CommandLine c = ex.getCommandLine();
                java.util.List<String> unknown = new java.util.ArrayList<>();
                for (String a : args) {
                    String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
                    if (name.startsWith("--") && !c.getCommandSpec().optionsMap().containsKey(name)) {
                        unknown.add(name);
                    }
                }
                if (!unknown.isEmpty()) {
                    CommandLine.UnmatchedArgumentException u = new CommandLine.UnmatchedArgumentException(c, unknown);
                    c.getErr().println("Unknown option" + (unknown.size() > 1 ? "s: " : ": ") + String.join(", ", unknown)
                            + " (" + ex.getMessage() + ")");
                    CommandLine.UnmatchedArgumentException.printSuggestions(u, c.getErr());
                    c.getErr().flush();
                    return 2;
                }
            }
            return standard.handleParseException(ex, args);
        });
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
            OutputPaths.forgetCreated(); // a command cleans up only the folders it created (tests run many in one JVM)
            return new CommandLine.RunLast().execute(parsed);
        });
        return cl;
    }

    /** --version answers on every subcommand too (picocli gives subcommands no version of their own). */
    private static void withVersion(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommandSpec().version().length == 0) {
                sub.getCommandSpec().versionProvider(new TracelensCommand.Version());
            }
            withVersion(sub);
        }
    }
}
