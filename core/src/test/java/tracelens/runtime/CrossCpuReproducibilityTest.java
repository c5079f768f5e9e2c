package tracelens.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
        return CrossCpuProbe.inChildJvm(List.of("MKL_CBWR", "ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS",
                CrossCpu.SWITCH), env);
    }
}
