package tracelens.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import tracelens.nn.Autograd;
import tracelens.runtime.EngineMemory;

/**
 * Rotary position embedding (Su et al., RoFormer, 2021) in Hugging Face's rotate-half convention, on the first
 * {@code rotaryDim} features of each head (GPT-NeoX rotates a fraction, Llama all): feature i < rot/2 pairs with
 * i + rot/2, both turned by the angle pos * theta^(-2i/rot). Computed as x * cos + (x R) * sin, where R is the
 * (hs, hs) matrix of rotate_half on the rotary features and zero elsewhere, and cos = 1, sin = 0 on the rest, so
 * partial rotary needs no slicing.
 *
 * <p>Inference rotates in one pass over the projection's own memory (the engine's four ops and a product read and
 * write the tensor eight times: 1.6 of a 110M Llama layer's 41.5 ms on one core), with the engine's bits: each output
 * is {@code x*cos + xr*sin} rounded op by op as the engine rounds them (Java does not fuse them into an FMA), and the
 * product with R is exact, one term being ±x and the rest zeros. While a backward pass is recorded (the engine must
 * see the rotation to differentiate it) or where the engine would copy the tensor (GPU, not float32, not contiguous)
 * the engine's ops run.
 */
final class Rotary {
    private final int headSize;
    private final int rotaryDim;
    private final float[] invFreq; // (rot / 2)
    private final NDArray rotateHalf; // (hs, hs)

    /** cos and sin for the (B, T) positions: (B, T, 1, hs) arrays for the engine, the same values for the one pass. */
    record Tables(NDArray cos, NDArray sin, float[] cosValues, float[] sinValues) {}

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

    /** The tables for the given (B, T) positions. */
    Tables tables(NDManager m, long[] positions, int b, int t) {
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
        Shape shape = new Shape(b, t, 1, headSize);
        return new Tables(m.create(cos, shape), m.create(sin, shape), cos, sin);
    }

    /**
     * Rotates x (B, T, heads, hs), a projection's output, with tables from {@link #tables}. Where the one pass runs, x
     * itself is overwritten and returned: pass an array nothing else reads.
     */
    NDArray apply(NDArray x, Tables tables) {
        FloatBuffer own = Autograd.recording() ? null : EngineMemory.floats(x);
        if (own == null) {
            NDArray r = x.getDataType() == rotateHalf.getDataType() ? rotateHalf : rotateHalf.toType(x.getDataType(), false); // float64 in exact tests
            return x.mul(tables.cos()).add(x.matMul(r).mul(tables.sin()));
        }
        rotateInPlace(own, (int) x.getShape().get(2), tables.cosValues(), tables.sinValues());
        return x;
    }

    private void rotateInPlace(FloatBuffer x, int heads, float[] cos, float[] sin) {
        int row = heads * headSize;
        float[] in = new float[row];
        float[] out = new float[row];
        for (int r = 0, rows = x.capacity() / row; r < rows; r++) {
            x.get(r * row, in);
            for (int h = 0; h < row; h += headSize) {
                rotateHead(in, out, h, cos, sin, r * headSize);
            }
            x.put(r * row, out);
        }
    }

    /** One head at offset h of a row, with the row's tables at offset tab: each pair (d, d + rot/2) turned together. */
    private void rotateHead(float[] in, float[] out, int h, float[] cos, float[] sin, int tab) {
        int half = rotaryDim / 2;
        for (int d = 0; d < half; d++) {
            float x1 = in[h + d];
            float x2 = in[h + d + half];
            out[h + d] = x1 * cos[tab + d] + -x2 * sin[tab + d];
            out[h + d + half] = x2 * cos[tab + d + half] + x1 * sin[tab + d + half];
        }
        for (int d = rotaryDim; d < headSize; d++) {
            out[h + d] = in[h + d] * cos[tab + d] + 0f * sin[tab + d]; // cos 1, sin 0 past the rotary features, as the engine's ops
        }
    }
}
