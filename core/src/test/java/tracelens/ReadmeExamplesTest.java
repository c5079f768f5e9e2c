package tracelens;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README runs as written (issue 14): every command of its {@code bash} blocks, in order, unchanged, in a folder that
 * scripts/readme-examples.sh filled with the inputs the examples name (and a ./tracelens calling the launcher). Only the set-up block's
 * {@code mvn -B verify} is left out (it is this suite). Every command must exit 0; the failures are listed together.
 * Takes several minutes (the demo alone about five): the README's examples are CPU-sized for that reason.
 */
class ReadmeExamplesTest {
    @TempDir
    Path base;

    /** One command of a bash block: continuation lines joined, a trailing comment dropped. */
    static List<String> commands(String readme) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("```bash\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        while (m.find()) {
            for (String line : m.group(1).replaceAll("\\s*\\\\\\n\\s*", " ").split("\\n")) {
                String c = line.replaceFirst("\\s+#\\s.*$", "").strip();
                if (!c.isEmpty() && !c.startsWith("#")) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    @Test
    void theParserJoinsContinuationsAndDropsComments() {
        String md = "text\n```bash\n./tracelens a --x 1 \\\n    --y 2   # a comment\n# only a comment\nM=path\n```\n```java\nnot bash\n```\n";
        assertThat(commands(md)).containsExactly("./tracelens a --x 1 --y 2", "M=path");
    }

    @Test
    void everyReadmeCommandRunsAsWritten() throws Exception {
        Path root = Path.of(System.getProperty("tracelens.root", "..")).toAbsolutePath().normalize(); // the repository, above core/
        Path shared = root.resolveSibling("shared");
        assertThat(shared).as("../shared must be present: the README's examples read its models and data").isDirectory();
        Path ws = base.resolve("ws");
        String classpath = System.getProperty("java.class.path");
        Map<String, String> env = new LinkedHashMap<>();
        env.put("TRACELENS_CLASSPATH", classpath); // the launcher runs these classes (no jar before 'mvn package')
        Run prep = run(List.of(root.resolve("scripts/readme-examples.sh").toString(), ws.toString()), root, env, base.resolve("prep.log"));
        assertThat(prep.code).as("scripts/readme-examples.sh: " + prep.tail).isZero();

        List<String> failures = new ArrayList<>();
        StringBuilder timings = new StringBuilder();
        int i = 0;
        for (String c : commands(Files.readString(root.resolve("README.md")))) {
            if (c.startsWith("mvn ")) {
                continue; // the suite itself
            }
            Matcher assign = Pattern.compile("^([A-Z_]+)=(\\S+)$").matcher(c);
            if (assign.matches()) {
                env.put(assign.group(1), assign.group(2));
                continue;
            }
            assertThat(c).as("README commands start with ./tracelens").startsWith("./tracelens ");
            String cmd = c; // as written: the script put a ./tracelens in ws that calls the launcher
            long t0 = System.nanoTime();
            Run r = run(List.of("bash", "-c", cmd), ws, env, base.resolve("cmd" + (i++) + ".log"));
            timings.append(String.format("%6.1f s  %s%n", (System.nanoTime() - t0) / 1e9, c));
            if (r.code != 0) {
                failures.add(c + "\n  exit " + r.code + ": " + r.tail);
            }
        }
        System.out.println("README commands:\n" + timings);
        assertThat(failures).as("README commands that failed").isEmpty();
    }

    record Run(int code, String tail) {}

    private static Run run(List<String> cmd, Path cwd, Map<String, String> env, Path log) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        // as a user runs them: the engine's default threads, not the single thread the suite pins for its own JVM
        pb.environment().remove("OMP_NUM_THREADS");
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(20, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            return new Run(-1, "timed out after 20 minutes");
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        return new Run(p.exitValue(), out.substring(Math.max(0, out.length() - 1500)));
    }
}
