package tracelens.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.activations.ActivationExtractor;
import tracelens.activations.Pooling;
import tracelens.error.InvalidInputException;
import tracelens.model.DType;
import tracelens.testing.CliRun;

/** The README's library example compiles and runs as printed; library errors name fields, the CLI flags. */
class LibraryExampleTest {
    @TempDir
    Path dir;

    static String example() throws Exception {
        String readme = Files.readString(Path.of(System.getProperty("tracelens.root", "..")).resolve("README.md")); // the repository, above core/
        int section = readme.indexOf("## Use as a library");
        assertThat(section).as("README section").isPositive();
        int start = readme.indexOf("```java\n", section) + "```java\n".length();
        int end = readme.indexOf("```", start);
        return readme.substring(start, end);
    }

    @Test
    void theReadmeExampleCompilesAndRuns() throws Exception {
        Path src = dir.resolve("LibraryExample.java");
        Files.writeString(src, example());
        String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int rc = javac.run(null, diagnostics, diagnostics, "-cp", cp, "-d", dir.toString(), src.toString());
        assertThat(rc).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        PrintStream old = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            loader.loadClass("LibraryExample").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
        } finally {
            System.setOut(old);
        }
        String out = printed.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("mean |change| of the last layer: ").contains("probe training accuracy: 8/8");
        double shift = Double.parseDouble(out.replaceAll("(?s).*last layer: ([0-9.]+).*", "$1"));
        assertThat(shift).as("knocking out an attention output moves the last layer").isGreaterThan(0.01);
    }

    @Test
    void libraryErrorsNameFieldsAndTheCommandLineNamesFlags() throws Exception {
        assertThatThrownBy(() -> new ActivationExtractor.Options(new int[] {0}, Pooling.MEAN, 1, 8, DType.F32))
                .isInstanceOf(InvalidInputException.class).hasMessage("max_length must be at least 2, found 1");
        Path in = Files.write(dir.resolve("t.txt"), List.of("one text"));
        CliRun r = CliRun.of("activations", "--input", in.toString(), "--max-length", "1", "--out", dir.resolve("a.safetensors").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--max-length must be at least 2, found 1");
    }
}
