package tracelens.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import tracelens.error.InvalidInputException;
import tracelens.testing.CrossCpuProbe;

/**
 * Issue 15 outcome 6: one SIP training, run in child JVMs on this machine, once with every vector extension it has and
 * once with the math library capped at SSE4.2 (what an older or non-Intel processor gets). Without the switch the two
 * differ (the defect: a demo accuracy of 0.122 on one machine and 0.149 on another); with TRACELENS_CROSS_CPU's pinned
 * kernels they agree to the bit, and the switch itself is accepted once they are set.
 */
class CrossCpuReproducibilityTest {
    @Test
    void pinnedKernelsGiveTheSameBitsWhateverTheProcessorOffers() throws Exception {
        String full = probe(Map.of("MKL_CBWR", "AUTO,STRICT"));
        String capped = probe(Map.of("MKL_CBWR", "AUTO,STRICT", "MKL_ENABLE_INSTRUCTIONS", "SSE4_2"));
        assertThat(capped).as("native kernels depend on the processor's extensions (else this test shows nothing)")
                .isNotEqualTo(full);

        Map<String, String> pinned = new HashMap<>(CrossCpu.PINNED);
        String pinnedFull = probe(pinned);
        pinned.put("MKL_ENABLE_INSTRUCTIONS", "SSE4_2");
        String pinnedCapped = probe(pinned);
        Map<String, String> switched = new HashMap<>(CrossCpu.PINNED);
        switched.put(CrossCpu.SWITCH, "1");
        String switchedOn = probe(switched);
        assertThat(pinnedCapped).isEqualTo(pinnedFull);
        assertThat(switchedOn).isEqualTo(pinnedFull);
        assertThat(pinnedFull).startsWith("losses ");
    }

    @Test
    void theSwitchWithoutThePinnedVariablesIsRefusedNamingThem() throws Exception {
        String out = probe(Map.of(CrossCpu.SWITCH, "1"));
        assertThat(out).contains(InvalidInputException.class.getSimpleName()).contains("MKL_CBWR=COMPATIBLE,STRICT")
                .contains("ATEN_CPU_CAPABILITY=default");
    }

    /** Runs CrossCpuProbe in a child JVM with the given kernel variables (and no others) and returns its output. */
    private static String probe(Map<String, String> env) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        for (String p : List.of("ai.djl.offline", "ENGINE_CACHE_DIR", "tracelens.cache", "ai.djl.pytorch.num_threads",
                "ai.djl.pytorch.num_interop_threads")) {
            if (System.getProperty(p) != null) {
                cmd.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), CrossCpuProbe.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        for (String k : List.of("MKL_CBWR", "ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS", CrossCpu.SWITCH)) {
            pb.environment().remove(k);
        }
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        return text.lines().filter(l -> l.startsWith("losses ") || l.contains("Exception")).reduce("", (a, b) -> a + b + "\n");
    }
}
