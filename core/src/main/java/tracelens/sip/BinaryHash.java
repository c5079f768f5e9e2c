package tracelens.sip;

/**
 * The SIP blog's binary-hash labels (sip.md §4): class c in 0..K-1 is coded as the B = ceil(log2(K+1)) bits of c+1
 * (1-based as in the original, so the all-zero code means "none"), most significant bit first; the identifier has
 * B outputs trained with BCE over the bits, a bit is set where its logit is positive, and the decoded class is the
 * code's value minus one (-1 when the code is 0 or beyond K).
 */
public final class BinaryHash {
    private BinaryHash() {}

    public static int bits(int classes) {
        return 32 - Integer.numberOfLeadingZeros(classes); // ceil(log2(K + 1))
    }

    /** Target bits (B values of 0/1) of class c. */
    public static float[] encode(int c, int classes) {
        int b = bits(classes);
        float[] out = new float[b];
        int v = c + 1;
        for (int i = 0; i < b; i++) {
            out[i] = (v >> (b - 1 - i)) & 1;
        }
        return out;
    }

    /** The class whose code the logits' signs spell, or -1. */
    public static int decode(float[] logits, int from, int classes) {
        int b = bits(classes);
        int v = 0;
        for (int i = 0; i < b; i++) {
            v = (v << 1) | (logits[from + i] > 0 ? 1 : 0);
        }
        return v >= 1 && v <= classes ? v - 1 : -1;
    }

    /**
     * Class scores (N, K) from bit logits (N, B): the log-likelihood of each class's code under independent bits,
     * sum_j log sigmoid(+-z_j). Its argmax is the decoded class whenever the signs spell a valid code, and the
     * nearest valid code otherwise; it also ranks classes for top-k.
     */
    public static float[] toScores(float[] bitLogits, int classes) {
        int b = bits(classes);
        int n = bitLogits.length / b;
        float[] out = new float[n * classes];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < classes; c++) {
                float[] code = encode(c, classes);
                double ll = 0;
                for (int j = 0; j < b; j++) {
                    double z = code[j] == 1 ? bitLogits[i * b + j] : -bitLogits[i * b + j];
                    ll -= tracelens.losses.Bce.value(z, 1); // log sigmoid(z) = -softplus(-z)
                }
                out[i * classes + c] = (float) ll;
            }
        }
        return out;
    }
}
