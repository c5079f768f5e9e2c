package tracelens.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tracelens.testing.CrossCpuProbe;

/**
 * Issue 16: core/runtime-env.sh, the environment both launchers and core/bin/java give the engine. Checked: the allocator
 * settings it adds (one arena, no mapped blocks, no trimming), the switch that turns them off, a user's own
 * GLIBC_TUNABLES winning key by key, that the allocator settings leave every number of a training run unchanged
 * bit for bit (they move memory, not arithmetic), the choice of garbage collector, and the AMD settings.
 */
class RuntimeEnvTest {
    private static final Path ROOT = Path.of(System.getProperty("tracelens.root", "..")).toAbsolutePath().normalize();
    private static final String TUNED = "glibc.malloc.arena_max=1:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296";

    @Test
    void theAllocatorSettingsAreAddedUnlessTurnedOffAndTheUsersOwnWin() throws Exception {
        assertThat(tunables(Map.of())).isEqualTo(TUNED);
        assertThat(tunables(Map.of("TRACELENS_MALLOC_TUNING", "0"))).isEmpty();
        assertThat(tunables(Map.of("GLIBC_TUNABLES", "glibc.malloc.arena_max=4:glibc.cpu.hwcaps=-AVX512F")))
                .isEqualTo("glibc.malloc.arena_max=4:glibc.cpu.hwcaps=-AVX512F:glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4294967296");
        // sourcing twice (a launcher started from another) adds nothing more
        assertThat(tunables(Map.of("GLIBC_TUNABLES", TUNED))).isEqualTo(TUNED);
    }

    @Test
    void theAllocatorSettingsLeaveTrainingNumbersUnchanged() throws Exception {
        String plain = CrossCpuProbe.inChildJvm(List.of("GLIBC_TUNABLES"), Map.of());
        String tuned = CrossCpuProbe.inChildJvm(List.of("GLIBC_TUNABLES"), Map.of("GLIBC_TUNABLES", TUNED));
        assertThat(plain).startsWith("losses ");
        assertThat(tuned).isEqualTo(plain);
    }

    /**
     * The serial collector unless TRACELENS_GC says otherwise, nothing where the user names a collector (the JVM refuses
     * two), an error with exit code 2 for an unknown name; and the test JVMs (started through core/bin/java) run it.
     */
    @Test
    void theCollectorIsSerialUnlessChosenOtherwise() throws Exception {
        assertThat(sourced("${tracelens_gc[*]:-}", Map.of())).isEqualTo("-XX:+UseSerialGC");
        assertThat(sourced("${tracelens_gc[*]:-}", Map.of("TRACELENS_GC", "g1"))).isEqualTo("-XX:+UseG1GC");
        assertThat(sourced("${tracelens_gc[*]:-}", Map.of("TRACELENS_GC", "parallel"))).isEqualTo("-XX:+UseParallelGC");
        assertThat(sourced("${tracelens_gc[*]:-}", Map.of("TRACELENS_JAVA_OPTS", "-Xmx2g -XX:+UseZGC"))).isEmpty();
        assertThat(sourced("${tracelens_gc[*]:-}", Map.of("JAVA_TOOL_OPTIONS", "-XX:+UseParallelGC"))).isEmpty();
        assertThat(run("${tracelens_gc[*]:-}", Map.of("TRACELENS_GC", "shenandoah")))
                .isEqualTo("2 error: TRACELENS_GC must be serial, parallel or g1, found 'shenandoah'");
        assertThat(java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()).extracting(b -> b.getName())
                .contains("Copy", "MarkSweepCompact"); // the serial collector's two generations
    }

    /**
     * The AMD settings, from the processor description (TRACELENS_CPUINFO): the math library's dispatch fix for AMD with
     * AVX-512, and oneDNN capped at AVX2 exactly where the processor does not describe its caches in CPUID leaf
     * 8000001Dh (no topoext flag), which oneDNN reads as caches of 1 byte (AmdCacheLeafTest); a user's cap, the
     * cross-CPU switch and Intel processors are left alone.
     */
    @Test
    void theAmdSettingsFollowTheProcessor(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        String flags = "flags\t\t: fpu sse2 avx2 fma avx512f avx512bw";
        Path zen5Hidden = cpuinfo(dir, "zen5-hidden", "AuthenticAMD", flags);
        Path zen5 = cpuinfo(dir, "zen5", "AuthenticAMD", flags + " topoext perfctr_core");
        Path zen3Hidden = cpuinfo(dir, "zen3-hidden", "AuthenticAMD", "flags\t\t: fpu sse2 avx2 fma");
        Path intel = cpuinfo(dir, "intel", "GenuineIntel", flags);
        String settings = "${ONEDNN_MAX_CPU_ISA:-none} $tracelens_amd_avx512 $tracelens_amd_cache_leaf";
        assertThat(sourced(settings, Map.of("TRACELENS_CPUINFO", zen5Hidden.toString()))).isEqualTo("AVX2 1 0");
        assertThat(sourced(settings, Map.of("TRACELENS_CPUINFO", zen5.toString()))).isEqualTo("none 1 1");
        assertThat(sourced(settings, Map.of("TRACELENS_CPUINFO", zen3Hidden.toString()))).isEqualTo("AVX2 0 0");
        assertThat(sourced(settings, Map.of("TRACELENS_CPUINFO", intel.toString()))).isEqualTo("none 0 1");
        assertThat(sourced(settings, Map.of("TRACELENS_CPUINFO", zen5Hidden.toString(), "ONEDNN_MAX_CPU_ISA", "AVX512_CORE")))
                .isEqualTo("AVX512_CORE 1 0");
        assertThat(sourced("$ONEDNN_MAX_CPU_ISA", Map.of("TRACELENS_CPUINFO", zen5Hidden.toString(), "TRACELENS_CROSS_CPU", "1")))
                .isEqualTo("SSE41");
        // the dispatch fix follows AVX-512 on AMD, whatever the cache leaf
        Map<String, String> auto = Map.of("TRACELENS_CPUINFO", zen5.toString(), "TRACELENS_MKL_DISPATCH", "auto");
        assertThat(sourced("$tracelens_mkl_dispatch", auto)).isEqualTo("1");
        assertThat(sourced("$tracelens_mkl_dispatch", Map.of("TRACELENS_CPUINFO", intel.toString(), "TRACELENS_MKL_DISPATCH", "auto")))
                .isEqualTo("0");
    }

    private static Path cpuinfo(Path dir, String name, String vendor, String flags) throws java.io.IOException {
        return java.nio.file.Files.writeString(dir.resolve(name), "processor\t: 0\nvendor_id\t: " + vendor + "\n" + flags + "\n\n"
                + "processor\t: 1\nvendor_id\t: " + vendor + "\n" + flags + "\n");
    }

    /** GLIBC_TUNABLES after sourcing runtime-env.sh in bash with {@code env} (and no other setting of ours). */
    private static String tunables(Map<String, String> env) throws Exception {
        return sourced("${GLIBC_TUNABLES:-}", env);
    }

    /** {@code expression} (bash) after sourcing runtime-env.sh with {@code env}; the script must succeed. */
    private static String sourced(String expression, Map<String, String> env) throws Exception {
        String out = run(expression, env);
        assertThat(out).as(out).startsWith("0 ");
        return out.substring(2);
    }

    /** "EXIT OUTPUT" of sourcing runtime-env.sh with {@code env} and printing {@code expression}. */
    private static String run(String expression, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", "set -uo pipefail; here=\"$1\"; out=$( ( . \"$here/core/runtime-env.sh\"; printf '%s' \""
                + expression + "\" ) 2>&1 ); echo \"$? $out\"", "runtime-env", ROOT.toString()).redirectErrorStream(true);
        pb.environment().remove("GLIBC_TUNABLES");
        pb.environment().remove("TRACELENS_MALLOC_TUNING");
        for (String v : List.of("TRACELENS_GC", "TRACELENS_JAVA_OPTS", "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "ONEDNN_MAX_CPU_ISA",
                "TRACELENS_CROSS_CPU", "TRACELENS_CPUINFO")) {
            pb.environment().remove(v);
        }
        pb.environment().put("TRACELENS_MKL_DISPATCH", "0");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out.endsWith("\n") ? out.substring(0, out.length() - 1) : out; // echo's newline
    }
}
