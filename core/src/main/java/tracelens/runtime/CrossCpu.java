package tracelens.runtime;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;
import tracelens.error.InvalidInputException;

/**
 * Same seed, same numbers on every x86-64 processor. The engine picks kernels by the processor's vector extensions:
 * Intel's math library (matrix products) by its dispatch, ATen (element-wise ops and reductions) by its CPU capability,
 * oneDNN (convolutions) by its ISA. Different kernels sum in different orders, so an AVX-512 machine and an AVX2 machine
 * give numbers that differ in the last bits, and training amplifies that into different accuracies. Pinning all three
 * to the level every x86-64 processor has (SSE2) removes the difference at a large speed cost (BENCHMARKS.md), so it is
 * a switch, {@code TRACELENS_CROSS_CPU=1}, which the launcher turns into the environment below. The variables are read
 * once when the native libraries load, so they cannot be set from inside the JVM; {@link #check()} refuses a run that
 * asked for the switch without them.
 */
public final class CrossCpu {
    /** The switch. */
    public static final String SWITCH = "TRACELENS_CROSS_CPU";

    /** What the switch sets; the launcher script holds the same three lines. */
    public static final Map<String, String> PINNED = pinned();

    /** The variables that decide which kernels run (the pinned ones plus the math library's instruction cap). */
    private static final String[] DECIDING = {"MKL_CBWR", "ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA", "MKL_ENABLE_INSTRUCTIONS"};

    private CrossCpu() {}

    private static Map<String, String> pinned() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("MKL_CBWR", "COMPATIBLE,STRICT");
        m.put("ATEN_CPU_CAPABILITY", "default");
        m.put("ONEDNN_MAX_CPU_ISA", "SSE41");
        return Map.copyOf(m);
    }

    /** Whether the switch is on. */
    public static boolean requested() {
        return "1".equals(System.getenv(SWITCH));
    }

    /** Whether this process runs with the pinned kernels. */
    public static boolean active() {
        return PINNED.entrySet().stream().allMatch(e -> e.getValue().equalsIgnoreCase(nullToEmpty(System.getenv(e.getKey()))));
    }

    /** Refuses a run that asked for the switch but started without the pinned variables (not through the launcher). */
    public static void check() {
        if (requested() && !active()) {
            throw new InvalidInputException(SWITCH + "=1 needs the engine's kernel choice pinned before the JVM starts: run "
                    + "through the tracelens launcher, or set " + PINNED.entrySet().stream().sorted(Map.Entry.comparingByKey())
                            .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));
        }
    }

    /** The settings that decide the kernels, for provenance: e.g. "MKL_CBWR=AUTO,STRICT" or the pinned set. */
    public static String describe() {
        StringBuilder b = new StringBuilder(active() ? "cross-cpu" : "native");
        for (String k : DECIDING) {
            String v = System.getenv(k);
            if (v != null && !v.isBlank()) {
                b.append(' ').append(k).append('=').append(v);
            }
        }
        if (mklDispatchForced()) {
            b.append(" mkl-dispatch=intel-path"); // the launcher's shim (core/src/main/c/mkl_intel_cpu.c) is preloaded
        }
        if (EngineBlas.switchedOff()) {
            b.append(" engine-blas=off"); // covariances by tiles of products, not MKL's dsyrk (EngineBlas): other last bits
        }
        return b.toString();
    }

    /** Whether the launcher preloaded the shim that lets the math library take its AVX-512 kernels on AMD processors. */
    public static boolean mklDispatchForced() {
        return nullToEmpty(System.getenv("LD_PRELOAD")).contains("libtracelens-mkl-cpu.so");
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
