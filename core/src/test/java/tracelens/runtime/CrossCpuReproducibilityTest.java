package tracelens.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;
import tracelens.testing.CrossCpuProbe;
import tracelens.testing.MklShims;

/**
 * Issue 15 outcome 6: one SIP training, run in child JVMs on this machine, once with every vector extension it has and
 * once with every library capped where an older processor leaves it (the math library at SSE4.2, ATen at its scalar
 * kernels, oneDNN at SSE4.1). Without the switch the two differ (the defect: a demo accuracy of 0.122 on one machine and
 * 0.149 on another); with TRACELENS_CROSS_CPU's pinned kernels they agree to the bit, whichever vendor's path the math
 * library takes (both answers to its processor check are preloaded in turn, and, where the processor can make CPUID
 * fault, a whole AMD processor is shown to the JVM), and the switch itself is accepted once they are set.
 */
class CrossCpuReproducibilityTest {
    @TempDir
    Path dir;

    @Test
    void pinnedKernelsGiveTheSameBitsWhateverTheProcessorOffers() throws Exception {
        // Capping the math library alone is not enough for the precondition: on its non-Intel path (AMD processors)
        // MKL_ENABLE_INSTRUCTIONS changes nothing, so SSE4.2-capped numbers equalled native ones there.
        Map<String, String> olderProcessor = Map.of("MKL_CBWR", "AUTO,STRICT", "MKL_ENABLE_INSTRUCTIONS", "SSE4_2",
                "ATEN_CPU_CAPABILITY", "default", "ONEDNN_MAX_CPU_ISA", "SSE41");
        String full = probe(Map.of("MKL_CBWR", "AUTO,STRICT"));
        String capped = probe(olderProcessor);
        assertThat(capped).as("native kernels depend on the processor's extensions (else this test shows nothing)")
                .isNotEqualTo(full);

        Map<String, String> pinned = new HashMap<>(CrossCpu.PINNED);
        String pinnedFull = probe(pinned);
        pinned.put("MKL_ENABLE_INSTRUCTIONS", "SSE4_2");
        String pinnedCapped = probe(pinned);
        Map<String, String> switched = new HashMap<>(CrossCpu.PINNED);
        switched.put(CrossCpu.SWITCH, "1");
        String switchedOn = probe(switched);
        Map<String, String> intelPath = new HashMap<>(CrossCpu.PINNED);
        intelPath.put("LD_PRELOAD", MklShims.intelPath(dir).toString());
        Map<String, String> nonIntelPath = new HashMap<>(CrossCpu.PINNED);
        nonIntelPath.put("LD_PRELOAD", MklShims.nonIntelPath(dir).toString());
        assertThat(pinnedFull).startsWith("losses ").contains(" dsyrk");
        assertThat(pinnedCapped).isEqualTo(pinnedFull);
        assertThat(switchedOn).isEqualTo(pinnedFull);
        assertThat(probe(intelPath)).as("the math library on its Intel path").isEqualTo(pinnedFull);
        assertThat(probe(nonIntelPath)).as("the math library on its non-Intel (AMD) path").isEqualTo(pinnedFull);
        if (MklShims.cpuidFaulting() && java.nio.file.Files.readString(Path.of("/proc/cpuinfo")).contains("GenuineIntel")) {
            // an Intel processor shown to the JVM as a whole AMD one through the CPUID instruction
            // (core/src/test/c/amd_cpuid.c): every library takes its AMD path, so native numbers change, and pinned ones
            // do not, with or without a cache description
            String amd = MklShims.amdProcessor(dir).toString();
            assertThat(probe(Map.of("MKL_CBWR", "AUTO,STRICT", "LD_PRELOAD", amd))).as("native kernels on the AMD paths")
                    .isNotEqualTo(full);
            Map<String, String> amdPinned = new HashMap<>(CrossCpu.PINNED);
            amdPinned.put("LD_PRELOAD", amd);
            assertThat(probe(amdPinned)).as("pinned, on an AMD processor").isEqualTo(pinnedFull);
            amdPinned.put("AMDCPUID_TOPOEXT", "0");
            assertThat(probe(amdPinned)).as("pinned, on an AMD processor whose caches are hidden").isEqualTo(pinnedFull);
        }
    }

    @Test
    void theSwitchWithoutThePinnedVariablesIsRefusedNamingThem() throws Exception {
        String out = probe(Map.of(CrossCpu.SWITCH, "1"));
        assertThat(out).contains(InvalidInputException.class.getSimpleName()).contains("MKL_CBWR=COMPATIBLE,STRICT")
                .contains("ATEN_CPU_CAPABILITY=default");
    }

    /** Runs CrossCpuProbe in a child JVM with the given kernel variables and preload (and no others); its output. */
    private static String probe(Map<String, String> env) throws IOException, InterruptedException {
        return CrossCpuProbe.inChildJvm(List.of("MKL_CBWR", "ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS",
                CrossCpu.SWITCH, "LD_PRELOAD", "AMDCPUID_TOPOEXT"), env);
    }
}
