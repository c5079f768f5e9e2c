package tracelens.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The processor line of --version, from /proc/cpuinfo-shaped text (hand-written: two processors, tabs as Linux writes them). */
class ProcessorTest {
    private static List<String> cpuinfo(String vendor, String model, String flags) {
        return List.of("processor\t: 0", "vendor_id\t: " + vendor, "model name\t: " + model, "flags\t\t: " + flags, "",
                "processor\t: 1", "vendor_id\t: " + vendor, "model name\t: " + model, "flags\t\t: " + flags);
    }

    @Test
    void namesModelVendorCountAndTheFeaturesThatDecideKernels() {
        assertThat(Processor.describe(cpuinfo("GenuineIntel", "Intel(R) Xeon(R) Processor", "fpu sse2 avx2 fma avx512f amx_tile hle")))
                .isEqualTo("Intel(R) Xeon(R) Processor (GenuineIntel, 2 logical processors; avx2 fma avx512f amx_tile)");
        assertThat(Processor.describe(cpuinfo("AuthenticAMD", "AMD EPYC 9B45", "fpu avx2 fma avx512f avx512_bf16 topoext")))
                .isEqualTo("AMD EPYC 9B45 (AuthenticAMD, 2 logical processors; avx2 fma avx512f avx512_bf16 topoext)");
        assertThat(Processor.describe(cpuinfo("AuthenticAMD", "AMD EPYC", "fpu avx2 fma avx512f")))
                .endsWith("avx512f no topoext (caches not described in CPUID))");
        assertThat(Processor.describe(List.of("processor\t: 0", "flags\t\t: fpu sse2")))
                .isEqualTo("unknown model (unknown vendor, 1 logical processor)");
    }
}
