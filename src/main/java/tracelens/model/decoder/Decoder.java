package tracelens.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.Arrays;
import java.util.SortedMap;
import java.util.TreeMap;
import tracelens.error.InvalidInputException;
import tracelens.model.HiddenStateModel;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;

/**
 * A decoder-only transformer on NDArray: token (and, for GPT-2, learned position) embeddings, pre-norm blocks of
 * causal self-attention with rotary embedding and grouped-query heads, a SwiGLU or GELU MLP, sequential or
 * parallel residual (GPT-NeoX), a final norm and the unembedding. Hidden states follow Hugging Face: index 0 is
 * the embedding output, l the output of block l, the last index is taken after the final norm.
 *
 * <p>Shapes: B batch, T new tokens, S = past + T keys, C hidden, H heads, KV key/value heads, R = H / KV, hs
 * head size. Every op takes the activation as its first operand so results land in the caller's scope.
 */
public final class Decoder implements HiddenStateModel {
    private record Layer(NDArray attnNormW, NDArray attnNormB, NDArray wq, NDArray bq, NDArray wk, NDArray bk,
            NDArray wv, NDArray bv, NDArray wo, NDArray bo, NDArray mlpNormW, NDArray mlpNormB,
            NDArray w1, NDArray b1, NDArray w2, NDArray b2, NDArray w3) {}

    /** What one forward pass returns: the requested hidden states and, if asked, the logits. */
    public record Output(SortedMap<Integer, NDArray> hidden, NDArray logits) {}

    private final String id;
    private final DecoderConfig config;
    private final TextTokenizer tokenizer;
    private final NDManager weights;
    private final NDArray tokEmb;   // (V, C)
    private final NDArray posEmb;   // (P, C), learned positions only
    private final Layer[] layers;
    private final NDArray normW;
    private final NDArray normB;
    private final NDArray lmHead;   // (V, C), the embedding itself when tied
    private final Rotary rotary;    // null with learned positions

    public Decoder(String id, DecoderConfig config, DecoderParams params, TextTokenizer tokenizer, NDManager weights) {
        this.id = id;
        this.config = config;
        this.tokenizer = tokenizer;
        this.weights = weights;
        int c = config.hiddenSize();
        int f = config.intermediateSize();
        int kv = config.kvDim();
        boolean nb = config.hasNormBias();
        boolean mb = config.hasMlpBias();
        tokEmb = load(params, "tok_embeddings", config.vocabSize(), c);
        posEmb = config.positions() == DecoderConfig.Positions.LEARNED ? load(params, "pos_embeddings", config.maxPositions(), c) : null;
        layers = new Layer[config.numLayers()];
        for (int l = 0; l < layers.length; l++) {
            String p = "layers." + l + ".";
            layers[l] = new Layer(
                    load(params, p + "attn_norm.weight", c), nb ? load(params, p + "attn_norm.bias", c) : null,
                    load(params, p + "wq", c, c), config.qkvBias() ? load(params, p + "bq", c) : null,
                    load(params, p + "wk", kv, c), config.qkvBias() ? load(params, p + "bk", kv) : null,
                    load(params, p + "wv", kv, c), config.qkvBias() ? load(params, p + "bv", kv) : null,
                    load(params, p + "wo", c, c), config.outBias() ? load(params, p + "bo", c) : null,
                    load(params, p + "mlp_norm.weight", c), nb ? load(params, p + "mlp_norm.bias", c) : null,
                    load(params, p + "w1", f, c), mb ? load(params, p + "b1", f) : null,
                    load(params, p + "w2", c, f), mb ? load(params, p + "b2", c) : null,
                    config.mlp() == DecoderConfig.Mlp.SWIGLU ? load(params, p + "w3", f, c) : null);
        }
        normW = load(params, "norm.weight", c);
        normB = nb ? load(params, "norm.bias", c) : null;
        lmHead = config.tiedEmbeddings() ? tokEmb : load(params, "lm_head", config.vocabSize(), c);
        rotary = config.positions() == DecoderConfig.Positions.ROTARY
                ? new Rotary(weights, config.headSize(), config.rotaryDim(), config.ropeTheta()) : null;
    }

    private NDArray load(DecoderParams params, String name, long... shape) {
        return weights.create(params.get(name, shape), new Shape(shape), DataType.FLOAT32);
    }

    public DecoderConfig config() {
        return config;
    }

    @Override
    public SortedMap<Integer, NDArray> hiddenStates(NDManager scope, TokenBatch batch, int[] wanted) {
        long[] positions = positionsFromMask(batch.mask(), batch.batch(), batch.width());
        return forward(scope, batch.batch(), batch.width(), batch.ids(), positions, batch.mask(), null, wanted, false, false).hidden();
    }

    /**
     * Positions count real tokens only (cumulative mask - 1), so a left- or right-padded text sees the same
     * positions as alone; padding gets position 0.
     */
    public static long[] positionsFromMask(long[] mask, int b, int t) {
        long[] pos = new long[b * t];
        for (int i = 0; i < b; i++) {
            long seen = 0;
            for (int p = 0; p < t; p++) {
                seen += mask[i * t + p];
                pos[i * t + p] = mask[i * t + p] == 1 ? seen - 1 : 0;
            }
        }
        return pos;
    }

    /**
     * One forward pass over {@code t} new tokens per row.
     *
     * @param ids (B, T) token ids
     * @param positions (B, T) absolute positions of the new tokens
     * @param mask (B, T) 1 on real tokens, 0 on padding
     * @param cache past keys and values, extended by this call; null for a stand-alone pass
     * @param wanted hidden-state indices to return
     * @param logits whether to compute logits; {@code lastOnly}: only at the last position, (B, V), else (B, T, V)
     */
    public Output forward(NDManager scope, int b, int t, long[] ids, long[] positions, long[] mask, KvCache cache,
            int[] wanted, boolean logits, boolean lastOnly) {
        int nl = config.numLayers();
        if (cache != null && cache.length() > 0 && cache.batch() != b) {
            throw new IllegalArgumentException("batch of " + b + " rows does not match the cache's " + cache.batch());
        }
        int past = cache == null ? 0 : cache.length();
        if (past + t > config.maxPositions() && config.positions() == DecoderConfig.Positions.LEARNED) {
            throw new InvalidInputException("sequence of " + (past + t) + " tokens exceeds the model's " + config.maxPositions() + " positions");
        }
        for (long p : positions) {
            if (p >= config.maxPositions()) {
                throw new InvalidInputException("position " + p + " exceeds the model's context of " + config.maxPositions() + " tokens");
            }
        }
        boolean[] keep = new boolean[nl + 1];
        int deepest = logits ? nl : 0;
        for (int l : wanted) {
            keep[l] = true;
            deepest = Math.max(deepest, l);
        }
        if (cache != null) {
            deepest = nl; // every layer's keys and values must be cached
        }
        long[] keyMask = keyMask(cache, b, t, mask);
        SortedMap<Integer, NDArray> hidden = new TreeMap<>();
        NDArray out = null;
        try (NDManager work = scope.newSubManager()) {
            NDArray idArr = work.create(ids, new Shape(b, t));
            NDArray x = Embedding.embedding(idArr, tokEmb, SparseFormat.DENSE).get(0); // (B, T, C)
            NDArray posArr = work.create(positions, new Shape(b, t));
            if (posEmb != null) {
                x = x.add(Embedding.embedding(posArr, posEmb, SparseFormat.DENSE).get(0));
            }
            NDArray[] rope = rotary == null ? null : rotary.tables(work, positions, b, t);
            NDArray maskBias = work.create(causalMaskBias(keyMask, b, t, past), new Shape(b, 1, 1, t, past + t));
            keep(hidden, keep, 0, x, scope);
            for (int l = 0; l < deepest && l < nl; l++) {
                try (NDManager layerScope = work.newSubManager()) {
                    x.tempAttach(layerScope);
                    NDArray y = block(layers[l], l, x, rope, maskBias, cache, b, t, past);
                    y.attach(work);
                    x = y;
                }
                if (l + 1 < nl) {
                    keep(hidden, keep, l + 1, x, scope);
                }
            }
            if (deepest == nl) {
                NDArray h = norm(x, normW, normB); // the input of the unembedding
                keep(hidden, keep, nl, h, scope);
                if (logits) {
                    NDArray last = lastOnly ? h.get(new NDIndex(":, -1, :")) : h;
                    out = Linear.linear(last, lmHead).get(0);
                    out.attach(scope);
                }
            }
        }
        if (cache != null) {
            cache.advance(b, t, mask);
        }
        return new Output(hidden, out);
    }

    private static void keep(SortedMap<Integer, NDArray> hidden, boolean[] keep, int index, NDArray x, NDManager scope) {
        if (keep[index]) {
            x.attach(scope);
            hidden.put(index, x);
        }
    }

    private NDArray block(Layer w, int index, NDArray x, NDArray[] rope, NDArray maskBias, KvCache cache, int b, int t, int past) {
        NDArray attn = attention(w, index, norm(x, w.attnNormW(), w.attnNormB()), rope, maskBias, cache, b, t, past);
        if (config.parallelResidual()) { // GPT-NeoX: x + attn(ln1(x)) + mlp(ln2(x))
            return x.add(attn).add(mlp(w, norm(x, w.mlpNormW(), w.mlpNormB())));
        }
        NDArray h = x.add(attn);
        return h.add(mlp(w, norm(h, w.mlpNormW(), w.mlpNormB())));
    }

    private NDArray attention(Layer w, int index, NDArray x, NDArray[] rope, NDArray maskBias, KvCache cache, int b, int t, int past) {
        int h = config.numHeads();
        int kvh = config.numKvHeads();
        int hs = config.headSize();
        NDArray q = linear(x, w.wq(), w.bq()).reshape(b, t, h, hs).transpose(0, 2, 1, 3);   // (B, H, T, hs)
        NDArray k = linear(x, w.wk(), w.bk()).reshape(b, t, kvh, hs).transpose(0, 2, 1, 3); // (B, KV, T, hs)
        NDArray v = linear(x, w.wv(), w.bv()).reshape(b, t, kvh, hs).transpose(0, 2, 1, 3);
        if (rope != null) {
            q = rotary.apply(q, rope);
            k = rotary.apply(k, rope);
        }
        if (cache != null) {
            NDArray[] kv = cache.append(index, k, v); // (B, KV, S, hs)
            k = kv[0];
            v = kv[1];
        }
        // grouped-query attention without copying keys: the R query heads of a group share one key/value head
        NDArray q5 = q.reshape(b, kvh, h / kvh, t, hs);
        NDArray scores = q5.matMul(k.expandDims(2).transpose(0, 1, 2, 4, 3)) // (B, KV, R, T, S)
                .mul(1f / (float) Math.sqrt(hs)).add(maskBias);
        NDArray ctx = scores.softmax(-1).matMul(v.expandDims(2));          // (B, KV, R, T, hs)
        ctx = ctx.reshape(b, h, t, hs).transpose(0, 2, 1, 3).reshape(b, t, h * hs);
        return linear(ctx, w.wo(), w.bo());
    }

    private NDArray mlp(Layer w, NDArray x) {
        return switch (config.mlp()) {
            case SWIGLU -> { // w2(silu(w1 x) * w3 x)
                NDArray gate = linear(x, w.w1(), null);
                yield linear(gate.mul(Activation.sigmoid(gate)).mul(linear(x, w.w3(), null)), w.w2(), null); // silu(g) = g * sigmoid(g)
            }
            case GELU -> linear(Activation.gelu(linear(x, w.w1(), w.b1())), w.w2(), w.b2());
            case GELU_TANH -> linear(geluTanh(linear(x, w.w1(), w.b1())), w.w2(), w.b2());
        };
    }

    /** GPT-2's "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    private static NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2 / Math.PI)).tanh();
        return x.mul(inner.add(1f)).mul(0.5f);
    }

    private NDArray norm(NDArray x, NDArray weight, NDArray bias) {
        if (config.norm() == DecoderConfig.Norm.LAYER) {
            return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), weight, bias, config.normEps()).get(0);
        }
        // RMSNorm: x / sqrt(mean(x^2) + eps) * w
        NDArray rms = x.square().mean(new int[] {-1}, true).add(config.normEps()).sqrt();
        return x.div(rms).mul(weight);
    }

    private static NDArray linear(NDArray x, NDArray w, NDArray b) {
        return (b == null ? Linear.linear(x, w) : Linear.linear(x, w, b)).get(0);
    }

    private static long[] keyMask(KvCache cache, int b, int t, long[] mask) {
        if (cache == null || cache.length() == 0) {
            return mask;
        }
        int past = cache.length();
        long[] prev = cache.keyMask();
        long[] km = new long[b * (past + t)];
        for (int i = 0; i < b; i++) {
            System.arraycopy(prev, i * past, km, i * (past + t), past);
            System.arraycopy(mask, i * t, km, i * (past + t) + past, t);
        }
        return km;
    }

    /** Additive bias (B, T, S): 0 where key j is a real token at or before query i, float32 min elsewhere. */
    static float[] causalMaskBias(long[] keyMask, int b, int t, int past) {
        int s = past + t;
        float[] bias = new float[b * t * s];
        Arrays.fill(bias, -Float.MAX_VALUE);
        for (int i = 0; i < b; i++) {
            for (int q = 0; q < t; q++) {
                for (int k = 0; k <= past + q; k++) {
                    if (keyMask[i * s + k] == 1) {
                        bias[(i * t + q) * s + k] = 0f;
                    }
                }
            }
        }
        return bias;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String architecture() {
        return config.family();
    }

    @Override
    public int numLayers() {
        return config.numLayers();
    }

    @Override
    public int hiddenSize() {
        return config.hiddenSize();
    }

    @Override
    public int maxPositions() {
        return config.maxPositions();
    }

    @Override
    public TextTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public boolean padLeft() {
        return true;
    }

    @Override
    public void close() {
        weights.close();
        tokenizer.close();
    }
}
