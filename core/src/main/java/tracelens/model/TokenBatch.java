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

    /** Rows {@code from..to-1} as a batch of their own, with the same width, padding side and positions. */
    public TokenBatch rows(int from, int to) {
        if (from == 0 && to == batch) {
            return this;
        }
        return new TokenBatch(to - from, width, java.util.Arrays.copyOfRange(ids, from * width, to * width),
                java.util.Arrays.copyOfRange(typeIds, from * width, to * width), java.util.Arrays.copyOfRange(mask, from * width, to * width),
                java.util.Arrays.copyOfRange(lengths, from, to), padLeft, positionsOverPadding);
    }

    /**
     * How many rows of {@code width} tokens to run through a model at once, out of a batch of {@code rows}:
     * (rows, heads, T, T) attention scores are what a pass mostly reads and writes, and they stay in cache only while
     * rows x T^2 is small. The answer is the whole batch when it fits, else a power of two, at least {@code minRows}.
     *
     * <p>Rows do not interact, but the engine's matrix kernels split rows x T among threads and blocks, and some slice
     * sizes move the last bits (measured on the demo's 1,148 passages of 222 tokens, batches of 32, 2 threads):
     * perplexity in slices of 8 gives every per-text score bit for bit (slices of 10 or 12 moved 36 and 54); hidden
     * states in slices of 16 give the same bytes, in slices of 8 they moved the last bits of 7% of the pooled rows.
     * Hence the floor: 8 for perplexity, 16 for extraction. Speed: perplexity 30.7 s -> 18 s, extraction 23 s -> 17 s.
     */
    public static int rowsPerPass(int rows, int width, int minRows) {
        long fit = Math.max(1, Math.min(rows, ATTENTION_BUDGET / Math.max(1L, (long) width * width)));
        return fit >= rows ? rows : Math.min(rows, Math.max(minRows, Integer.highestOneBit((int) fit)));
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
