package tracelens.model;

import java.util.List;

/**
 * A padded batch of token ids, row-major (B, T). {@code mask} is 1 on real tokens and 0 on padding;
 * {@code lengths} are the real token counts. Padding is on the right for encoders; decoders may pad left.
 * {@code positionsOverPadding}: positions run 0..T-1 over the padded row (the SIP code's fixed window) instead of
 * counting real tokens only.
 */
public record TokenBatch(int batch, int width, long[] ids, long[] typeIds, long[] mask, int[] lengths, boolean padLeft,
        boolean positionsOverPadding) {

    public static TokenBatch of(List<TextTokenizer.Tokens> rows, long padId, boolean padLeft) {
        int t = 0;
        for (TextTokenizer.Tokens r : rows) {
            t = Math.max(t, r.length());
        }
        return of(rows, padId, padLeft, t, false);
    }

    /** Rows left-padded to exactly {@code width}, positions over the padded row (sip.md §2's window). */
    public static TokenBatch window(List<TextTokenizer.Tokens> rows, long padId, int width) {
        for (TextTokenizer.Tokens r : rows) {
            if (r.length() > width) {
                throw new IllegalArgumentException("row of " + r.length() + " tokens in a window of " + width);
            }
        }
        return of(rows, padId, true, width, true);
    }

    private static TokenBatch of(List<TextTokenizer.Tokens> rows, long padId, boolean padLeft, int t, boolean positionsOverPadding) {
        int b = rows.size();
        long[] ids = new long[b * t];
        long[] types = new long[b * t];
        long[] mask = new long[b * t];
        int[] lengths = new int[b];
        java.util.Arrays.fill(ids, padId);
        for (int i = 0; i < b; i++) {
            TextTokenizer.Tokens r = rows.get(i);
            int n = r.length();
            int start = padLeft ? t - n : 0;
            System.arraycopy(r.ids(), 0, ids, i * t + start, n);
            System.arraycopy(r.typeIds(), 0, types, i * t + start, n);
            java.util.Arrays.fill(mask, i * t + start, i * t + start + n, 1L);
            lengths[i] = n;
        }
        return new TokenBatch(b, t, ids, types, mask, lengths, padLeft, positionsOverPadding);
    }

    /**
     * How many rows of this width a decoder scores at once in {@link tracelens.lm.Perplexity}: (rows, heads, T, T)
     * attention scores are what a pass mostly reads and writes, and they stay in cache only while rows x T^2 is small
     * (stories260K's 222-token passages: 30.7 s in batches of 32 rows, 18 s in slices of 8). A power of two, or the
     * whole batch when it fits: with slices of 8 every per-text score of the demo's 1,148 passages is the same to the
     * last bit as in batches of 32, while slices of 10 or 12 moved 36 and 54 of them in the last bits (the engine's
     * kernels split rows differently); the same slicing of hidden-state extraction moved 7% of the pooled rows, so
     * extraction keeps its batches whole.
     */
    public static int rowsPerPass(int rows, int width) {
        long fit = Math.max(1, Math.min(rows, ATTENTION_BUDGET / Math.max(1L, (long) width * width)));
        return fit >= rows ? rows : Integer.highestOneBit((int) fit);
    }

    /** rows x T^2 per pass: 8 rows of 222 tokens, 32 of 90. */
    static final long ATTENTION_BUDGET = 1L << 19;

    public int realTokens() {
        int n = 0;
        for (int l : lengths) {
            n += l;
        }
        return n;
    }
}
