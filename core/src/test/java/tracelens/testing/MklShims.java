package tracelens.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Preloadable libraries that change what the engine sees of the processor. The two answers to the math library's "is
 * this an Intel processor?" check: the launcher's shim (yes: Intel's dispatch, AVX-512 kernels on AMD) and a test-only
 * one (no, an AMD Zen: the path MKL takes on AMD processors); preloading either lets one machine run both vendors' MKL
 * paths. And a whole AMD processor, shown to every library through the CPUID instruction itself (core/src/test/c/amd_cpuid.c),
 * where the processor can make CPUID fault ({@link #cpuidFaulting}).
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

    /** The AMD processor (core/src/test/c/amd_cpuid.c), compiled into {@code dir}; preloaded, a JVM sees an AMD EPYC (Zen 5). */
    public static Path amdProcessor(Path dir) throws IOException, InterruptedException {
        return compile(ROOT.resolve("core/src/test/c/amd_cpuid.c"), dir.resolve("libamd-cpuid.so"));
    }

    /** Whether this processor can make CPUID fault (Linux's cpuid_fault flag), which {@link #amdProcessor} needs. */
    public static boolean cpuidFaulting() throws IOException {
        return java.nio.file.Files.readString(Path.of("/proc/cpuinfo")).lines()
                .anyMatch(l -> l.startsWith("flags") && java.util.Arrays.asList(l.split("\\s+")).contains("cpuid_fault"));
    }

    private static Path compile(Path source, Path out) throws IOException, InterruptedException {
        Process cc = new ProcessBuilder("cc", "-O2", "-shared", "-fPIC", "-o", out.toString(), source.toString(), "-ldl")
                .redirectErrorStream(true).start();
        String text = new String(cc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(cc.waitFor()).as("cc " + source + ": " + text).isZero();
        return out;
    }
}
