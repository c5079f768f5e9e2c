package tracelens.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embedding (Su et al., RoFormer, 2021) in Hugging Face's rotate-half convention, on the first
 * {@code rotaryDim} features of each head (GPT-NeoX rotates a fraction, Llama all): feature i < rot/2 pairs with
 * i + rot/2, both turned by the angle pos * theta^(-2i/rot). Computed as x * cos + (x R) * sin, where R is the
 * (hs, hs) matrix of rotate_half on the rotary features and zero elsewhere, and cos = 1, sin = 0 on the rest, so
 * partial rotary needs no slicing.
 */
final class Rotary {
    private final int headSize;
    private final int rotaryDim;
    private final float[] invFreq; // (rot / 2)
    private final NDArray rotateHalf; // (hs, hs)

    Rotary(NDManager weights, int headSize, int rotaryDim, double theta) {
        this.headSize = headSize;
        this.rotaryDim = rotaryDim;
        int half = rotaryDim / 2;
        invFreq = new float[half];
        for (int j = 0; j < half; j++) {
            // float32, as Hugging Face and llama2.c compute it: 1 / theta^(2j / rot)
            invFreq[j] = 1f / (float) Math.pow(theta, (float) (2 * j) / (float) rotaryDim);
        }
        float[] r = new float[headSize * headSize];
        for (int i = 0; i < half; i++) {
            r[(i + half) * headSize + i] = -1f; // out[i] = -x[i + half]
            r[i * headSize + i + half] = 1f;    // out[i + half] = x[i]
        }
        rotateHalf = weights.create(r, new Shape(headSize, headSize));
    }

    /** cos and sin (B, 1, T, hs) for the given (B, T) positions. */
    NDArray[] tables(NDManager m, long[] positions, int b, int t) {
        int half = rotaryDim / 2;
        float[] cos = new float[b * t * headSize];
        float[] sin = new float[b * t * headSize];
        for (int i = 0; i < b * t; i++) {
            for (int d = 0; d < headSize; d++) {
                if (d < rotaryDim) {
                    float angle = positions[i] * invFreq[d % half]; // a float32 product, as the references compute it
                    cos[i * headSize + d] = (float) Math.cos(angle);
                    sin[i * headSize + d] = (float) Math.sin(angle);
                } else {
                    cos[i * headSize + d] = 1f;
                }
            }
        }
        return new NDArray[] {m.create(cos, new Shape(b, 1, t, headSize)), m.create(sin, new Shape(b, 1, t, headSize))};
    }

    /** Rotates x (B, heads, T, hs) with tables from {@link #tables}. */
    NDArray apply(NDArray x, NDArray[] tables) {
        return x.mul(tables[0]).add(x.matMul(rotateHalf).mul(tables[1]));
    }
}
