package tracelens.model;

import java.util.Locale;
import tracelens.error.InvalidInputException;

/**
 * How much memory a model's weights may take, which decides how a decoder runs (issue 17): <b>resident</b>, every
 * block's weights widened to float32 once and kept, or <b>block-streamed</b>, each block's weights widened from the
 * memory-mapped checkpoint (f32, f16 or bf16 as stored) only while that block runs and freed after it, so the weights
 * held at a time are the embeddings, the output head and one block. {@code bytes} null means automatic: 70% of the
 * machine's physical memory.
 */
public record MemoryBudget(Long bytes) {
    public static final MemoryBudget AUTO = new MemoryBudget(null);

    /** How a decoder is run. */
    public enum Residency { RESIDENT, STREAMED }

    /** "auto", or a size: a number of bytes, or with k, m, g or t (binary units), e.g. 512m, 16g, 1.5g. */
    public static MemoryBudget parse(String s) {
        String v = s.strip().toLowerCase(Locale.ROOT);
        if (v.equals("auto")) {
            return AUTO;
        }
        long unit = 1;
        char last = v.isEmpty() ? ' ' : v.charAt(v.length() - 1);
        int shift = "kmgt".indexOf(last);
        if (shift >= 0) {
            unit = 1L << (10 * (shift + 1));
            v = v.substring(0, v.length() - 1);
        } else if (last == 'b') {
            v = v.substring(0, v.length() - 1);
        }
        try {
            double n = Double.parseDouble(v);
            if (!(n > 0) || n * unit > Long.MAX_VALUE) {
                throw new NumberFormatException();
            }
            return new MemoryBudget((long) (n * unit));
        } catch (NumberFormatException e) {
            throw InvalidInputException.field("max_memory", " must be 'auto' or a size such as 512m or 16g, found '" + s + "'");
        }
    }

    /** The budget in bytes: as given, or 70% of physical memory. */
    public long limit() {
        if (bytes != null) {
            return bytes;
        }
        var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return (long) (os.getTotalMemorySize() * 0.7);
    }

    /**
     * Resident when all float32 weights fit, else streamed when the always-resident part and one block fit; otherwise
     * an error naming what the model needs.
     */
    public Residency choose(String model, long residentBytes, long streamedBytes) {
        long limit = limit();
        if (residentBytes <= limit) {
            return Residency.RESIDENT;
        }
        if (streamedBytes <= limit) {
            return Residency.STREAMED;
        }
        throw InvalidInputException.field("max_memory", " " + human(limit) + (bytes == null ? " (70% of this machine's memory)" : "")
                + " is below what " + model + " needs even block by block: " + human(streamedBytes)
                + " (float32 embeddings, output head and one block); all of it resident takes " + human(residentBytes));
    }

    public static String human(long b) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = b;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    }
}
