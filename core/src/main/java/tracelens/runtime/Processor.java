package tracelens.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The processor as the launcher reads it (core/runtime-env.sh: /proc/cpuinfo, or the file TRACELENS_CPUINFO names), in
 * one line for --version and bug reports: model, vendor, logical processors and the features that decide the engine's
 * kernels. On AMD processors "topoext" says whether the caches are described in CPUID leaf 8000001Dh; without it the
 * launcher caps oneDNN at AVX2 (README, "AMD processors").
 */
public final class Processor {
    /** Features shown, in this order, where present. */
    private static final List<String> SHOWN = List.of("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile");

    private Processor() {}

    /** E.g. "Intel(R) Xeon(R) Processor (GenuineIntel, 2 logical processors; avx2 fma avx512f ...)". */
    public static String describe() {
        Path file = Path.of(System.getenv().getOrDefault("TRACELENS_CPUINFO", "/proc/cpuinfo"));
        try {
            return describe(Files.readAllLines(file));
        } catch (IOException | RuntimeException e) {
            return "unknown (" + file + " unreadable: " + e.getMessage() + ")";
        }
    }

    static String describe(List<String> cpuinfo) {
        String model = "unknown model";
        String vendor = "unknown vendor";
        Set<String> flags = Set.of();
        int processors = 0;
        for (String line : cpuinfo) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).strip();
            String value = line.substring(colon + 1).strip();
            switch (key) {
                case "processor" -> processors++;
                case "model name" -> model = value;
                case "vendor_id" -> vendor = value;
                case "flags" -> flags = Set.of(value.split("\\s+"));
                default -> { }
            }
        }
        List<String> shown = new ArrayList<>();
        for (String f : SHOWN) {
            if (flags.contains(f)) {
                shown.add(f);
            }
        }
        if (vendor.equals("AuthenticAMD")) {
            shown.add(flags.contains("topoext") ? "topoext" : "no topoext (caches not described in CPUID)");
        }
        return model + " (" + vendor + ", " + processors + " logical processor" + (processors == 1 ? "" : "s")
                + (shown.isEmpty() ? "" : "; " + String.join(" ", shown)) + ")";
    }
}
