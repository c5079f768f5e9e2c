package tracelens.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import tracelens.error.TracelensException;

/**
 * Turns exceptions into one-line messages and exit codes: 2 for the user's input or environment (a
 * {@link TracelensException}, a usage error, or an I/O failure: missing file, no space, no permission; the message
 * names the path), 1 for anything else, which is a bug; stack traces only with {@code --verbose}.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    static int exitCode(Throwable t) {
        if (t instanceof TracelensException || t instanceof CommandLine.ParameterException || t instanceof UncheckedIOException
                || t instanceof java.io.IOException) {
            return 2;
        }
        return 1;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        OutputPaths.removeEmptyCreated();
        int code = exitCode(ex);
        boolean verbose = parsed.hasMatchedOption("--verbose") || hasVerboseDeep(parsed);
        if (code == 2) {
            err.println("error: " + oneLine(message(ex, parsed)));
        } else {
            err.println("internal error: " + ex + (verbose ? "" : " (rerun with --verbose for the stack trace)"));
        }
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
        return code == 2 ? 2 : 1;
    }

    /** The message, with a library field name ({@code max_length}) shown as the flag that sets it ({@code --max-length}). */
    static String message(Throwable ex, CommandLine.ParseResult parsed) {
        String msg = ex.getMessage();
        if (ex instanceof tracelens.error.InvalidInputException e && e.field() != null && msg.startsWith(e.field())) {
            String flag = "--" + e.field().replace('_', '-');
            CommandLine.ParseResult p = parsed;
            while (p.subcommand() != null) {
                p = p.subcommand();
            }
            if (p.commandSpec().findOption(flag) != null) {
                return flag + msg.substring(e.field().length());
            }
        }
        return msg;
    }

    /** Messages with a parser's location on a second line ("\n at [Source: ...]") are joined into one. */
    static String oneLine(String msg) {
        return msg == null ? "" : String.join(" ", msg.lines().map(String::strip).filter(l -> !l.isEmpty()).toList());
    }

    private static boolean hasVerboseDeep(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }
}
