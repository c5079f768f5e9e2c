package tracelens.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.testing.CrossCpuProbe;
import tracelens.testing.MklShims;

/**
 * Issue 16: the math library's processor dispatch. The launcher preloads core/src/main/c/mkl_intel_cpu.c on AMD
 * processors with AVX-512 so that Intel's library takes its AVX-512 kernels there. Checked here: the engine's
 * libtorch really binds its processor check to the shim (the dynamic linker's own record), on an Intel processor the
 * numbers are the same bit for bit with and without it (the shim answers what the library's check answers), and the
 * launcher's switch turns it on and off, as provenance records.
 */
class MklDispatchTest {
    @TempDir
    Path dir;

    private static final Path ROOT = Path.of(System.getProperty("tracelens.root", "..")).toAbsolutePath().normalize();
    /** The processor as the launcher reads it (core/runtime-env.sh): TRACELENS_CPUINFO where a test run names one. */
    private static final Path CPUINFO = Path.of(System.getenv().getOrDefault("TRACELENS_CPUINFO", "/proc/cpuinfo"));

    @Test
    void theEngineBindsItsProcessorCheckToTheShimAndIntelNumbersStayTheSame() throws Exception {
        Path shim = MklShims.intelPath(dir);

        String without = probe(Map.of());
        String with = probe(Map.of("LD_PRELOAD", shim.toString(), "LD_DEBUG", "bindings", "LD_DEBUG_OUTPUT", dir.resolve("ld").toString()));
        StringBuilder bindings = new StringBuilder();
        try (Stream<Path> logs = Files.list(dir)) {
            for (Path log : logs.filter(p -> p.getFileName().toString().startsWith("ld.")).toList()) {
                Files.readAllLines(log, StandardCharsets.ISO_8859_1).stream().filter(l -> l.contains("mkl_serv_intel_cpu_true"))
                        .forEach(l -> bindings.append(l.strip()).append('\n'));
            }
        }
        assertThat(bindings.toString()).as("the dynamic linker's bindings").contains("libtorch_cpu.so").contains(shim.toString());
        assertThat(without).startsWith("losses ");
        if (Files.readString(CPUINFO).contains("GenuineIntel")) {
            assertThat(with).as("on Intel the shim answers as the library's own check").isEqualTo(without);
        } else {
            assertThat(with).startsWith("losses ");
        }
    }

    @Test
    void theLauncherSwitchIsRecordedInProvenance() throws Exception {
        Path texts = Files.writeString(dir.resolve("t.txt"), "a short text\nanother one\n");
        String forced = numerics(Map.of("TRACELENS_MKL_DISPATCH", "1"), texts, "on.safetensors");
        String off = numerics(Map.of("TRACELENS_MKL_DISPATCH", "0"), texts, "off.safetensors");
        assertThat(forced).contains("mkl-dispatch=intel-path");
        assertThat(off).doesNotContain("mkl-dispatch");
        String auto = numerics(Map.of(), texts, "auto.safetensors");
        String cpu = Files.readString(CPUINFO);
        boolean amdAvx512 = cpu.contains("AuthenticAMD") && cpu.lines().anyMatch(l -> l.startsWith("flags") && l.contains(" avx512f"));
        assertThat(auto.contains("mkl-dispatch=intel-path")).as("automatic: on for AMD with AVX-512 only").isEqualTo(amdAvx512);
        assertThat(auto).doesNotContain("engine-blas");
        // the engine's dsyrk switched off (EngineBlas): covariances by tiles, recorded as such
        assertThat(numerics(Map.of("TRACELENS_ENGINE_BLAS", "0"), texts, "tiles.safetensors")).contains("engine-blas=off");
    }

    /** `tracelens activations` through the launcher with {@code env}; the provenance's numerics line. */
    private String numerics(Map<String, String> env, Path texts, String out) throws Exception {
        Path file = dir.resolve(out);
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("tracelens").toString(), "activations", "--input", texts.toString(),
                "--layers", "1", "--out", file.toString(), "--json").redirectErrorStream(true);
        pb.environment().put("TRACELENS_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().remove("TRACELENS_MKL_DISPATCH");
        pb.environment().remove("LD_PRELOAD");
        pb.environment().putAll(env);
        Process p = pb.start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(text).isZero();
        int at = text.indexOf("\"numerics\"");
        assertThat(at).as(text).isPositive();
        return text.substring(at, text.indexOf('\n', at) < 0 ? text.length() : Math.min(text.length(), at + 200));
    }

    /** CrossCpuProbe's printed losses in a child JVM with {@code env} added (and no other preload). */
    private static String probe(Map<String, String> env) throws IOException, InterruptedException {
        return CrossCpuProbe.inChildJvm(List.of("LD_PRELOAD"), env);
    }
}
