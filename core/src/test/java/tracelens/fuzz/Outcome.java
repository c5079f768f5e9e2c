package tracelens.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tracelens.error.TracelensException;

/**
 * The only outcomes allowed for a malformed input: the parser accepts it, or it throws the project's bad-input
 * exception (exit 2) with a message naming the file. Anything else (an internal exception, a JVM error such as
 * running out of memory because a size from a header was trusted) fails the property, and the input is saved under
 * target/fuzz-failures/ to reproduce it.
 */
final class Outcome {
    private Outcome() {}

    /** Per file name: inputs accepted, inputs refused as bad input. */
    static final java.util.Map<String, int[]> TALLY = new java.util.concurrent.ConcurrentHashMap<>();

    /** "name: accepted a, refused r" lines, for the fuzz script's report. */
    static String tally() {
        StringBuilder b = new StringBuilder();
        new java.util.TreeMap<>(TALLY).forEach((k, v) -> b.append(String.format("%-28s accepted %7d  refused %7d%n", k, v[0], v[1])));
        return b.toString();
    }

    @FunctionalInterface
    interface Parse {
        void run(Path file) throws Exception;
    }

    /** Writes {@code bytes} to {@code file} and parses it; {@code named} is what the message must contain (default: the file name). */
    static void check(Path file, byte[] bytes, Parse parse) throws IOException {
        check(file, bytes, parse, file.getFileName().toString());
    }

    static void check(Path file, byte[] bytes, Parse parse, String named) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, bytes);
        int[] count = TALLY.computeIfAbsent(file.getFileName().toString(), k -> new int[2]);
        try {
            parse.run(file);
            count[0]++;
        } catch (TracelensException e) {
            count[1]++;
            if (System.getProperty("tracelens.fuzz.verbose") != null) {
                System.out.println(file.getFileName() + ": " + e.getMessage());
            }
            assertThat(e.getMessage()).as("the message names the file").contains(named);
        } catch (Throwable t) {
            Path saved = Path.of("target", "fuzz-failures", file.getFileName() + "-" + Integer.toHexString(java.util.Arrays.hashCode(bytes)));
            Files.createDirectories(saved.getParent());
            Files.write(saved, bytes);
            throw new AssertionError("input saved as " + saved + " ended in " + t, t);
        }
    }
}
