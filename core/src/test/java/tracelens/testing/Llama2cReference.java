package tracelens.testing;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A line-by-line Java port of karpathy/llama2.c {@code run.c}'s {@code forward} (scalar float32, interleaved RoPE,
 * its own file parsing): the naive control our NDArray decoder is checked against, as Jlama checks its
 * optimised kernels against plain loops. Deliberately shares no code with tracelens.
 */
public final class Llama2cReference {
    public final int dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen;
    private final float[] tokenEmbedding, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, rmsFinal, wcls;
    private final float[][] keyCache, valueCache;

    public Llama2cReference(Path checkpoint) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(checkpoint)).order(ByteOrder.LITTLE_ENDIAN);
        dim = b.getInt();
        hiddenDim = b.getInt();
        nLayers = b.getInt();
        nHeads = b.getInt();
        nKvHeads = b.getInt();
        int v = b.getInt();
        seqLen = b.getInt();
        boolean shared = v > 0;
        vocabSize = Math.abs(v);
        FloatBuffer f = b.asFloatBuffer();
        int headSize = dim / nHeads;
        int kvDim = dim * nKvHeads / nHeads;
        tokenEmbedding = take(f, vocabSize * dim);
        rmsAtt = take(f, nLayers * dim);
        wq = take(f, nLayers * dim * dim);
        wk = take(f, nLayers * dim * kvDim);
        wv = take(f, nLayers * dim * kvDim);
        wo = take(f, nLayers * dim * dim);
        rmsFfn = take(f, nLayers * dim);
        w1 = take(f, nLayers * dim * hiddenDim);
        w2 = take(f, nLayers * hiddenDim * dim);
        w3 = take(f, nLayers * dim * hiddenDim);
        rmsFinal = take(f, dim);
        take(f, seqLen * headSize / 2); // freq_cis_real
        take(f, seqLen * headSize / 2); // freq_cis_imag
        wcls = shared ? tokenEmbedding : take(f, vocabSize * dim);
        keyCache = new float[nLayers][seqLen * kvDim];
        valueCache = new float[nLayers][seqLen * kvDim];
    }

    /** A fresh instance sharing the weights, with an empty KV cache. */
    public Llama2cReference(Llama2cReference other) {
        dim = other.dim;
        hiddenDim = other.hiddenDim;
        nLayers = other.nLayers;
        nHeads = other.nHeads;
        nKvHeads = other.nKvHeads;
        vocabSize = other.vocabSize;
        seqLen = other.seqLen;
        tokenEmbedding = other.tokenEmbedding;
        rmsAtt = other.rmsAtt;
        wq = other.wq;
        wk = other.wk;
        wv = other.wv;
        wo = other.wo;
        rmsFfn = other.rmsFfn;
        w1 = other.w1;
        w2 = other.w2;
        w3 = other.w3;
        rmsFinal = other.rmsFinal;
        wcls = other.wcls;
        int kvDim = dim * nKvHeads / nHeads;
        keyCache = new float[nLayers][seqLen * kvDim];
        valueCache = new float[nLayers][seqLen * kvDim];
    }

    private static float[] take(FloatBuffer f, int n) {
        float[] a = new float[n];
        f.get(a);
        return a;
    }

    static void rmsnorm(float[] o, float[] x, float[] weight, int wOff, int size) {
        float ss = 0.0f;
        for (int j = 0; j < size; j++) {
            ss += x[j] * x[j];
        }
        ss /= size;
        ss += 1e-5f;
        ss = 1.0f / (float) Math.sqrt(ss);
        for (int j = 0; j < size; j++) {
            o[j] = weight[wOff + j] * (ss * x[j]);
        }
    }

    static void softmax(float[] x, int off, int size) {
        float max = x[off];
        for (int i = 1; i < size; i++) {
            max = Math.max(max, x[off + i]);
        }
        float sum = 0.0f;
        for (int i = 0; i < size; i++) {
            x[off + i] = (float) Math.exp(x[off + i] - max);
            sum += x[off + i];
        }
        for (int i = 0; i < size; i++) {
            x[off + i] /= sum;
        }
    }

    /** W (d,n) @ x (n,) -> xout (d,), W starting at wOff. */
    static void matmul(float[] xout, float[] x, float[] w, int wOff, int n, int d) {
        for (int i = 0; i < d; i++) {
            float val = 0.0f;
            for (int j = 0; j < n; j++) {
                val += w[wOff + i * n + j] * x[j];
            }
            xout[i] = val;
        }
    }

    /** run.c forward(transformer, token, pos): the logits for the next token. Call with pos = 0, 1, 2, ... */
    public float[] forward(int token, int pos) {
        int kvDim = (dim * nKvHeads) / nHeads;
        int kvMul = nHeads / nKvHeads;
        int headSize = dim / nHeads;
        float[] x = new float[dim];
        float[] xb = new float[dim];
        float[] xb2 = new float[dim];
        float[] hb = new float[hiddenDim];
        float[] hb2 = new float[hiddenDim];
        float[] q = new float[dim];
        float[] att = new float[nHeads * seqLen];
        System.arraycopy(tokenEmbedding, token * dim, x, 0, dim);
        for (int l = 0; l < nLayers; l++) {
            rmsnorm(xb, x, rmsAtt, l * dim, dim);
            float[] k = new float[kvDim];
            float[] v = new float[kvDim];
            matmul(q, xb, wq, l * dim * dim, dim, dim);
            matmul(k, xb, wk, l * dim * kvDim, dim, kvDim);
            matmul(v, xb, wv, l * dim * kvDim, dim, kvDim);
            for (int i = 0; i < dim; i += 2) { // RoPE relative positional encoding: complex-valued rotate q and k in each head
                int headDim = i % headSize;
                float freq = 1.0f / (float) Math.pow(10000.0f, headDim / (float) headSize);
                float val = pos * freq;
                float fcr = (float) Math.cos(val);
                float fci = (float) Math.sin(val);
                int rotn = i < kvDim ? 2 : 1; // how many vectors? 2 = q & k, 1 = q only
                for (int vi = 0; vi < rotn; vi++) {
                    float[] vec = vi == 0 ? q : k;
                    float v0 = vec[i];
                    float v1 = vec[i + 1];
                    vec[i] = v0 * fcr - v1 * fci;
                    vec[i + 1] = v0 * fci + v1 * fcr;
                }
            }
            System.arraycopy(k, 0, keyCache[l], pos * kvDim, kvDim);
            System.arraycopy(v, 0, valueCache[l], pos * kvDim, kvDim);
            for (int h = 0; h < nHeads; h++) { // multihead attention
                int qOff = h * headSize;
                int attOff = h * seqLen;
                for (int t = 0; t <= pos; t++) {
                    int kOff = t * kvDim + (h / kvMul) * headSize;
                    float score = 0.0f;
                    for (int i = 0; i < headSize; i++) {
                        score += q[qOff + i] * keyCache[l][kOff + i];
                    }
                    score /= (float) Math.sqrt(headSize);
                    att[attOff + t] = score;
                }
                softmax(att, attOff, pos + 1);
                for (int i = 0; i < headSize; i++) {
                    xb[h * headSize + i] = 0.0f;
                }
                for (int t = 0; t <= pos; t++) {
                    int vOff = t * kvDim + (h / kvMul) * headSize;
                    float a = att[attOff + t];
                    for (int i = 0; i < headSize; i++) {
                        xb[h * headSize + i] += a * valueCache[l][vOff + i];
                    }
                }
            }
            matmul(xb2, xb, wo, l * dim * dim, dim, dim);
            for (int i = 0; i < dim; i++) {
                x[i] += xb2[i];
            }
            rmsnorm(xb, x, rmsFfn, l * dim, dim);
            matmul(hb, xb, w1, l * dim * hiddenDim, dim, hiddenDim);
            matmul(hb2, xb, w3, l * dim * hiddenDim, dim, hiddenDim);
            for (int i = 0; i < hiddenDim; i++) { // SwiGLU non-linearity
                float val = hb[i];
                val *= (1.0f / (1.0f + (float) Math.exp(-val)));
                val *= hb2[i];
                hb[i] = val;
            }
            matmul(xb, hb, w2, l * dim * hiddenDim, hiddenDim, dim);
            for (int i = 0; i < dim; i++) {
                x[i] += xb[i];
            }
        }
        rmsnorm(x, x.clone(), rmsFinal, 0, dim);
        float[] logits = new float[vocabSize];
        matmul(logits, x, wcls, 0, dim, vocabSize);
        return logits;
    }
}
