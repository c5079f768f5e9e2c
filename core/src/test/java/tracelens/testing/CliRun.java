package tracelens.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;
import tracelens.cli.Main;

/** Runs the CLI in-process with captured stdout and stderr, as picocli's "Testing Your Application" shows. */
public record CliRun(int exitCode, String out, String err) {
    public static CliRun of(String... args) {
        CommandLine cl = Main.forArgs(args); // as a user's run builds it: only the command it runs
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }
}
