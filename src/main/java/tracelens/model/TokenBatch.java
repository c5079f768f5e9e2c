package tracelens.model;

import java.util.List;

/**
 * A padded batch of token ids, row-major (B, T). {@code mask} is 1 on real tokens and 0 on padding;
 * {@code lengths} are the real token counts. Padding is on the right for encoders; decoders may pad left.
 */
public record TokenBatch(int batch, int width, long[] ids, long[] typeIds, long[] mask, int[] lengths, boolean padLeft) {

    public static TokenBatch of(List<TextTokenizer.Tokens> rows, long padId, boolean padLeft) {
        int b = rows.size();
        int t = 0;
        for (TextTokenizer.Tokens r : rows) {
            t = Math.max(t, r.length());
        }
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
        return new TokenBatch(b, t, ids, types, mask, lengths, padLeft);
    }

    public int realTokens() {
        int n = 0;
        for (int l : lengths) {
            n += l;
        }
        return n;
    }
}
