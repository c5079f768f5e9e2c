package tracelens.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.cnn.InputGradientProbe;
import tracelens.testing.ChildJvm;
import tracelens.testing.MklShims;

/**
 * Issue 16: why CNN gradients were wrong on the AMD EPYC, and the launcher's answer (core/runtime-env.sh, setting 2).
 * oneDNN reads an AMD processor's caches from CPUID leaf 8000001Dh without checking that the processor describes them
 * there (the topoext flag, which hypervisors hide); an empty leaf reads as caches of 1 byte, and its AVX-512 backward
 * convolutions then give wrong input gradients. Shown here on an Intel processor by preloading
 * core/src/test/c/amd_cpuid.c, which makes the JVM see an AMD EPYC (Zen 5) through the CPUID instruction itself:
 * with the leaf filled the ResNet-18 and VGG-16-BN gradients match torchvision; with it empty they do not (ResNet-18:
 * 24,017 of 24,576 elements off, the count measured on the real EPYC); with oneDNN capped at AVX2, as the launcher does
 * for such processors, they match again. Needs CPUID faulting (Intel processors have it; elsewhere skipped).
 */
class AmdCacheLeafTest {
    @TempDir
    Path dir;

    @Test
    void anEmptyCacheLeafBreaksOneDnnsAvx512GradientsAndTheAvx2CapMendsThem() throws Exception {
        assumeTrue(MklShims.cpuidFaulting(), "this processor cannot make CPUID fault, so no JVM here can be shown an AMD processor");
        Map<String, String> amd = Map.of("LD_PRELOAD", MklShims.amdProcessor(dir).toString());

        String filled = probe(amd, Map.of("AMDCPUID_TOPOEXT", "1"));
        String hidden = probe(amd, Map.of("AMDCPUID_TOPOEXT", "0"));
        String capped = probe(amd, Map.of("AMDCPUID_TOPOEXT", "0", "ONEDNN_MAX_CPU_ISA", "AVX2"));

        assertThat(filled).as("caches described: AVX-512 kernels right").contains("RESNET18 off 0 of 24576", "VGG16_BN off 0 of 24576");
        assertThat(offCount(hidden, "RESNET18")).as("caches of 1 byte: " + hidden).isGreaterThan(20_000);
        assertThat(offCount(hidden, "VGG16_BN")).as("caches of 1 byte: " + hidden).isPositive();
        assertThat(capped).as("the launcher's cap").contains("RESNET18 off 0 of 24576", "VGG16_BN off 0 of 24576");
    }

    private static String probe(Map<String, String> preload, Map<String, String> settings) throws Exception {
        Map<String, String> env = new HashMap<>(preload);
        env.putAll(settings);
        env.put("MKL_CBWR", "AUTO,STRICT");
        return ChildJvm.run(InputGradientProbe.class, List.of("LD_PRELOAD", "ONEDNN_MAX_CPU_ISA", "ATEN_CPU_CAPABILITY",
                "MKL_ENABLE_INSTRUCTIONS", "TRACELENS_CROSS_CPU", "AMDCPUID_TOPOEXT", "AMDCPUID_CACHE_LEAF"), env, "RESNET18", "VGG16_BN");
    }

    private static int offCount(String out, String arch) {
        return out.lines().filter(l -> l.startsWith(arch + " off ")).map(l -> Integer.parseInt(l.split(" ")[2])).findFirst()
                .orElseThrow(() -> new AssertionError("no line for " + arch + " in: " + out));
    }
}
