package tracelens.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * The two answers to the math library's "is this an Intel processor?" check, built as preloadable libraries: the
 * launcher's shim (yes: Intel's dispatch, AVX-512 kernels on AMD) and a test-only one (no, an AMD Zen: the path MKL takes on
 * AMD processors). Preloading either lets one machine run both vendors' MKL paths.
 */
public final class MklShims {
    private static final Path ROOT = Path.of(System.getProperty("tracelens.root", "..")).toAbsolutePath().normalize();

    private MklShims() {}

    /** The launcher's shim (core/src/main/c/mkl_intel_cpu.c), compiled into {@code dir}. */
    public static Path intelPath(Path dir) throws IOException, InterruptedException {
        return compile(ROOT.resolve("core/src/main/c/mkl_intel_cpu.c"), dir.resolve("libtracelens-mkl-cpu.so"));
    }

    /** The test-only shim (core/src/test/c/mkl_not_intel_cpu.c), compiled into {@code dir}. */
    public static Path nonIntelPath(Path dir) throws IOException, InterruptedException {
        return compile(ROOT.resolve("core/src/test/c/mkl_not_intel_cpu.c"), dir.resolve("libtracelens-mkl-not-intel.so"));
    }

    private static Path compile(Path source, Path out) throws IOException, InterruptedException {
        Process cc = new ProcessBuilder("cc", "-O2", "-shared", "-fPIC", "-o", out.toString(), source.toString(), "-ldl")
                .redirectErrorStream(true).start();
        String text = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(cc.waitFor()).as("cc " + source + ": " + text).isZero();
        return out;
    }
}
