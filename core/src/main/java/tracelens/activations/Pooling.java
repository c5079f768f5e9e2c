package tracelens.activations;

import tracelens.error.InvalidInputException;

import tracelens.model.TokenBatch;

/**
 * How token-level hidden states (B, T, C) become one vector per text. Every pooled mode is a weighted sum
 * over positions with weights that are zero on padding, so padding never leaks into a result.
 */
public enum Pooling {
    /** Average over the real tokens (special tokens included, padding excluded), as sentence-transformers. */
    MEAN,
    /** The first real token ([CLS] for BERT). */
    CLS,
    /** The last real token (the usual sentence representation of a decoder). */
    LAST,
    /** No pooling: token-level states are kept, with a mask. */
    NONE;

    /** Position weights (B, T), row-major; rows sum to 1. Not defined for {@link #NONE}. */
    public float[] weights(TokenBatch batch) {
        int b = batch.batch();
        int t = batch.width();
        float[] w = new float[b * t];
        for (int i = 0; i < b; i++) {
            int n = batch.lengths()[i];
            int first = batch.padLeft() ? t - n : 0;
            switch (this) {
                case MEAN -> {
                    for (int p = first; p < first + n; p++) {
                        w[i * t + p] = 1f / n;
                    }
                }
                case CLS -> w[i * t + first] = 1f;
                case LAST -> w[i * t + first + n - 1] = 1f;
                case NONE -> throw new IllegalStateException("NONE keeps every token");
            }
        }
        return w;
    }

    public static Pooling parse(String s) {
        for (Pooling p : values()) {
            if (p.name().equalsIgnoreCase(s)) {
                return p;
            }
        }
        throw InvalidInputException.field("pool", ": unknown pooling '" + s + "' (expected mean, cls, last or none)");
    }
}
