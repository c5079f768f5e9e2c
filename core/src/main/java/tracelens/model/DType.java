package tracelens.model;

import java.util.Arrays;
import java.util.stream.Collectors;

/** Element types of stored tensors (safetensors names). Everything computes in f32; f16 and bf16 are widened. */
public enum DType {
    F32(4), F16(2), BF16(2), F64(8), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    public final int bytes;

    DType(int bytes) {
        this.bytes = bytes;
    }

    /** Parses a safetensors dtype string, or returns null if unknown. */
    public static DType parse(String name) {
        for (DType t : values()) {
            if (t.name().equals(name)) {
                return t;
            }
        }
        return null;
    }

    public static String allowed() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }

    /** IEEE half to float, by hand: {@code Float.float16ToFloat} only exists from Java 20 on. */
    public static float halfToFloat(short h) {
        int bits = h & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1F;
        int mant = bits & 0x3FF;
        if (exp == 0x1F) { // inf or NaN
            return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            // subnormal half: value = mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * Widens 16-bit floats (f16, or bf16 when {@code bf16}) from {@code src} into {@code out} (both little-endian, from
     * their positions), in chunks through arrays: the per-element buffer calls were the bulk of a streamed model's time.
     */
    public static void widen(java.nio.ByteBuffer src, java.nio.ByteBuffer out, boolean bf16) {
        java.nio.ShortBuffer in = src.slice().order(java.nio.ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        java.nio.FloatBuffer to = out.slice().order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        int n = in.remaining();
        short[] h = new short[Math.min(n, 1 << 16)];
        float[] f = new float[h.length];
        float[] table = bf16 ? null : halfTable();
        for (int done = 0; done < n; ) {
            int k = Math.min(h.length, n - done);
            in.get(h, 0, k);
            if (bf16) {
                for (int i = 0; i < k; i++) {
                    f[i] = Float.intBitsToFloat((h[i] & 0xFFFF) << 16);
                }
            } else {
                for (int i = 0; i < k; i++) {
                    f[i] = table[h[i] & 0xFFFF];
                }
            }
            to.put(f, 0, k);
            done += k;
        }
        src.position(src.position() + 2 * n);
        out.position(out.position() + 4 * n);
    }

    private static float[] halfTable;

    /** Every f16 bit pattern's float value (256 KiB, built on first use). */
    private static synchronized float[] halfTable() {
        if (halfTable == null) {
            float[] t = new float[1 << 16];
            for (int i = 0; i < t.length; i++) {
                t[i] = halfToFloat((short) i);
            }
            halfTable = t;
        }
        return halfTable;
    }

    /** bfloat16 is the upper half of an f32: widen by shifting (DJL's own bf16 crashes the JVM). */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xFFFF) << 16);
    }

    /** Float to IEEE half, round to nearest even (for writing f16 tensors and tests). */
    public static short floatToHalf(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int val = (bits & 0x7FFFFFFF);
        if (val >= 0x7F800000) { // inf / NaN
            return (short) (sign | 0x7C00 | (val > 0x7F800000 ? 0x200 : 0));
        }
        if (val >= 0x477FF000) { // overflows half after rounding
            return (short) (sign | 0x7C00);
        }
        if (val < 0x38800000) { // subnormal or zero in half
            if (val < 0x33000000) {
                return (short) sign;
            }
            int exp = val >>> 23;
            int mant = (val & 0x7FFFFF) | 0x800000;
            int shift = 126 - exp; // 14 + (113 - exp) - 1
            int half = mant >>> shift;
            int rem = mant & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rem > mid || (rem == mid && (half & 1) != 0)) {
                half++;
            }
            return (short) (sign | half);
        }
        int rounded = val + 0xFFF + ((val >>> 13) & 1);
        return (short) (sign | ((rounded - 0x38000000) >>> 13));
    }
}
