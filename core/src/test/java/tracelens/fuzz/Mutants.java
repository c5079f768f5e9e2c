package tracelens.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Malformed inputs made from valid seed files, as mutation fuzzers (AFL, libFuzzer) make them: a few stacked edits,
 * each a byte flip, an "interesting" value (0, -1, the largest int, a huge length) written over 1, 4 or 8 bytes, a
 * cut, a deleted, duplicated or inserted range, or a syntax token (quote, brace, comma, newline, BOM, a number like
 * 1e309 or 99999999999, a lone UTF-8 lead byte) spliced into text formats. jqwik draws the edits from its seed.
 */
final class Mutants {
    private Mutants() {}

    private record Edit(int kind, double where, double extent, long value) {}

    private static final long[] INTERESTING = {0, 1, -1, 2, 7, 8, 255, 256, 65535, 65536, Integer.MAX_VALUE, Integer.MIN_VALUE,
        Integer.MAX_VALUE + 1L, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40, 0x7FF0000000000000L /* +inf as double */};

    private static final List<byte[]> TOKENS = List.of("\"", "{", "}", "[", "]", ",", ":", "\n", "\r\n", "\t", "\uFEFF", "-1",
            "0", "1e309", "-1e309", "99999999999", "NaN", "Infinity", "null", "true", "\"\"", "\\", "\\u0000", "{}", "[]",
            "1f", "0x1p3", "\"text\"", "\"label\"", "\"source\"").stream().map(t -> t.getBytes(StandardCharsets.UTF_8)).toList();

    private static final byte[][] RAW = {{(byte) 0xC3}, {(byte) 0xFF}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {0}};

    /** Up to six stacked edits of one of the seeds. */
    static Arbitrary<byte[]> of(byte[]... seeds) {
        Arbitrary<Edit> edit = Combinators.combine(Arbitraries.integers().between(0, 11), Arbitraries.doubles().between(0, 1),
                Arbitraries.doubles().between(0, 1), Arbitraries.longs()).as(Edit::new);
        return Combinators.combine(Arbitraries.integers().between(0, seeds.length - 1), edit.list().ofMinSize(1).ofMaxSize(6))
                .as((s, edits) -> {
                    byte[] b = seeds[s];
                    for (Edit e : edits) {
                        b = apply(b, e);
                    }
                    return b;
                });
    }

    private static byte[] apply(byte[] b, Edit e) {
        int n = b.length;
        int at = (int) (e.where * n);
        int len = 1 + (int) (e.extent * e.extent * Math.max(1, n / 4)); // mostly short ranges
        long interesting = INTERESTING[(int) Math.floorMod(e.value, (long) INTERESTING.length)];
        switch (e.kind) {
            case 0: { // flip one bit
                if (n == 0) {
                    return b;
                }
                byte[] c = b.clone();
                c[Math.min(at, n - 1)] ^= (byte) (1 << Math.floorMod(e.value, 8));
                return c;
            }
            case 1: { // a random byte
                if (n == 0) {
                    return b;
                }
                byte[] c = b.clone();
                c[Math.min(at, n - 1)] = (byte) e.value;
                return c;
            }
            case 2: case 3: { // an interesting int32 / int64, little-endian (header fields, lengths, offsets)
                int width = e.kind == 2 ? 4 : 8;
                if (n < width) {
                    return b;
                }
                byte[] c = b.clone();
                ByteBuffer bb = ByteBuffer.wrap(c).order(ByteOrder.LITTLE_ENDIAN);
                int pos = Math.min(at, n - width);
                if (width == 4) {
                    bb.putInt(pos, (int) interesting);
                } else {
                    bb.putLong(pos, interesting);
                }
                return c;
            }
            case 4: // cut
                return Arrays.copyOf(b, at);
            case 5: { // delete a range
                int end = Math.min(n, at + len);
                byte[] c = new byte[n - (end - at)];
                System.arraycopy(b, 0, c, 0, at);
                System.arraycopy(b, end, c, at, n - end);
                return c;
            }
            case 6: { // duplicate a range
                int end = Math.min(n, at + len);
                return splice(b, at, Arrays.copyOfRange(b, at, end));
            }
            case 7: case 8: // a syntax token
                return splice(b, at, TOKENS.get((int) Math.floorMod(e.value, (long) TOKENS.size())));
            case 9: // invalid UTF-8 or a NUL
                return splice(b, at, RAW[(int) Math.floorMod(e.value, (long) RAW.length)]);
            case 10: { // an ASCII number replacing digits at the spot (JSON numbers, CSV cells, dims)
                String num = Long.toString(interesting);
                return splice(b, at, num.getBytes(StandardCharsets.US_ASCII));
            }
            default: { // random bytes inserted
                byte[] r = new byte[Math.min(len, 64)];
                new java.util.Random(e.value).nextBytes(r);
                return splice(b, at, r);
            }
        }
    }

    private static byte[] splice(byte[] b, int at, byte[] insert) {
        byte[] c = new byte[b.length + insert.length];
        System.arraycopy(b, 0, c, 0, at);
        System.arraycopy(insert, 0, c, at, insert.length);
        System.arraycopy(b, at, c, at + insert.length, b.length - at);
        return c;
    }
}
