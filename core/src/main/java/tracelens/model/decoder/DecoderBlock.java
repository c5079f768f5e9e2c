package tracelens.model.decoder;

import tracelens.nn.Scalars;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import tracelens.nn.Hooks;
import tracelens.nn.Module;
import tracelens.nn.Parameters;

/**
 * One pre-norm decoder block: {@code h = x + Attn(norm1(x)); out = h + MLP(norm2(h))}, or GPT-NeoX's parallel
 * {@code x + Attn(norm1(x)) + MLP(norm2(x))}; causal self-attention with rotary embedding and grouped-query heads.
 *
 * <p>A block taken out of a loaded {@link Decoder} ({@link Decoder#block}) is a view that shares the decoder's weights
 * (closing it frees nothing); {@link #load} reads one block's tensors alone, for pipelines that need one layer of a
 * large model (PiFi). Either way {@link #forward(NDArray)} runs it on any (B, T, C) input with gradients flowing
 * through the input; the weights take part in autograd only if the caller marks them.
 */
public final class DecoderBlock implements Module {
    /** Parameter names within a block, as {@link DecoderParams} spells them after "layers.<i>.". */
    private static final String[] NAMES = {"attn_norm.weight", "attn_norm.bias", "wq", "bq", "wk", "bk", "wv", "bv", "wo", "bo",
        "mlp_norm.weight", "mlp_norm.bias", "w1", "b1", "w2", "b2", "w3"};

    private final DecoderConfig config;
    private final int index;
    private final Rotary rotary; // null with learned positions
    private final NDArray[] w;   // in NAMES order, null where the architecture has no such tensor
    private final NDManager owned; // the weights' manager when loaded alone, else null
    private final Parameters params = new Parameters();

    DecoderBlock(DecoderConfig config, int index, Rotary rotary, NDArray[] w, NDManager owned) {
        this.config = config;
        this.index = index;
        this.rotary = rotary;
        this.w = w;
        this.owned = owned;
        for (int i = 0; i < NAMES.length; i++) {
            if (w[i] != null) {
                params.add(NAMES[i], w[i]);
            }
        }
        params.setTrainable(false);
    }

    /** Reads block {@code layer}'s tensors (and nothing else) from {@code params} into {@code weights}, which it then owns. */
    public static DecoderBlock load(DecoderConfig config, DecoderParams params, int layer, NDManager weights) {
        Rotary rotary = config.positions() == DecoderConfig.Positions.ROTARY
                ? new Rotary(weights, config.headSize(), config.rotaryDim(), config.ropeTheta()) : null;
        return new DecoderBlock(config, layer, rotary, read(config, params, layer, weights), weights);
    }

    static NDArray[] read(DecoderConfig config, DecoderParams params, int layer, NDManager weights) {
        return read(config, params, layer, weights, null);
    }

    /**
     * As above; {@code buffers}, when given, receives each tensor's direct buffer. The engine wraps them without a copy
     * (DJL's from_blob on CPU), so they must outlive the arrays: a streamed block frees them (Buffers.free) once its
     * arrays are closed, instead of leaving gigabytes of them to the collector.
     */
    static NDArray[] read(DecoderConfig config, DecoderParams params, int layer, NDManager weights,
            java.util.List<java.nio.ByteBuffer> buffers) {
        long[][] shapes = shapes(config);
        String p = "layers." + layer + ".";
        NDArray[] w = new NDArray[NAMES.length];
        for (int i = 0; i < NAMES.length; i++) {
            if (shapes[i] != null) {
                java.nio.ByteBuffer b = params.get(p + NAMES[i], shapes[i]);
                w[i] = weights.create(b, new Shape(shapes[i]), DataType.FLOAT32);
                if (buffers != null) {
                    buffers.add(b);
                }
            }
        }
        return w;
    }

    /** The number of weights in one block of {@code config}. */
    public static long parameterCount(DecoderConfig config) {
        long n = 0;
        for (long[] s : shapes(config)) {
            if (s != null) {
                long e = 1;
                for (long d : s) {
                    e *= d;
                }
                n += e;
            }
        }
        return n;
    }

    /** The shape of each tensor in NAMES order, null where the architecture has none. */
    private static long[][] shapes(DecoderConfig config) {
        int c = config.hiddenSize();
        int f = config.intermediateSize();
        int kv = config.kvDim();
        boolean nb = config.hasNormBias();
        boolean mb = config.hasMlpBias();
        boolean qkv = config.qkvBias();
        long[][] shapes = {{c}, nb ? new long[] {c} : null, {c, c}, qkv ? new long[] {c} : null, {kv, c}, qkv ? new long[] {kv} : null,
            {kv, c}, qkv ? new long[] {kv} : null, {c, c}, config.outBias() ? new long[] {c} : null, {c}, nb ? new long[] {c} : null,
            {f, c}, mb ? new long[] {f} : null, {c, f}, mb ? new long[] {c} : null,
            config.mlp() == DecoderConfig.Mlp.SWIGLU ? new long[] {f, c} : null};
        return shapes;
    }

    NDArray[] weights() {
        return w;
    }

    public int index() {
        return index;
    }

    public DecoderConfig config() {
        return config;
    }

    /**
     * The block on {@code x} (B, T, C) alone: causal attention over the T positions 0..T-1, no padding, no cache. The
     * result lands in x's manager.
     */
    public NDArray forward(NDArray x) {
        Shape s = x.getShape();
        int b = (int) s.get(0);
        int t = (int) s.get(1);
        long[] positions = new long[b * t];
        long[] mask = new long[b * t];
        for (int i = 0; i < b * t; i++) {
            positions[i] = i % t;
            mask[i] = 1;
        }
        NDManager m = x.getManager();
        Rotary.Tables rope = rotary == null ? null : rotary.tables(m, positions, b, t);
        NDArray bias = m.create(Decoder.causalMaskBias(mask, b, t, 0), new Shape(b, 1, 1, t, t));
        return forward(x, rope, bias, null, b, t, 0, Hooks.none(m), "");
    }

    /**
     * The block on a sequence of one position, x (B, C) to (B, C), by the exact shortcut of pifi_ilm.md §1.1: softmax
     * over a single key is 1 and RoPE at position 0 is the identity, so attention reduces to the value path,
     * {@code o_proj(repeat_kv(v_proj(norm1(x))))}, and W_q, W_k, the mask and the rotation drop out. The MLP and the
     * residuals follow the architecture (sequential or parallel). Works in the dtype of x (float64 for exact tests).
     */
    public NDArray forwardOnePosition(NDArray x) {
        int b = (int) x.getShape().get(0);
        int kvh = config.numKvHeads();
        int hs = config.headSize();
        int r = config.numHeads() / kvh;
        NDArray v = linear(norm(x, w[0], w[1]), w[6], w[7]);                                  // (B, KV * hs)
        // repeat_kv: query head h reads key/value head floor(h / R)
        NDArray vr = v.reshape(b, kvh, 1, hs).repeat(2, r).reshape(b, kvh * r * hs);           // (B, H * hs)
        NDArray attn = linear(vr, w[8], w[9]);
        if (config.parallelResidual()) {
            return x.add(attn).add(mlp(norm(x, w[10], w[11])));
        }
        NDArray h = x.add(attn);
        return h.add(mlp(norm(h, w[10], w[11])));
    }

    /** The block inside a decoder's pass; sites are named {@code prefix + "attn_out"} and {@code prefix + "mlp_out"}. */
    NDArray forward(NDArray x, Rotary.Tables rope, NDArray maskBias, KvCache cache, int b, int t, int past, Hooks hooks, String prefix) {
        NDArray attn = hooks.at(prefix + "attn_out", attention(norm(x, w[0], w[1]), rope, maskBias, cache, b, t, past));
        if (config.parallelResidual()) { // GPT-NeoX: x + attn(ln1(x)) + mlp(ln2(x))
            return x.add(attn).add(hooks.at(prefix + "mlp_out", mlp(norm(x, w[10], w[11]))));
        }
        NDArray h = x.add(attn);
        return h.add(hooks.at(prefix + "mlp_out", mlp(norm(h, w[10], w[11]))));
    }

    private NDArray attention(NDArray x, Rotary.Tables rope, NDArray maskBias, KvCache cache, int b, int t, int past) {
        int h = config.numHeads();
        int kvh = config.numKvHeads();
        int hs = config.headSize();
        NDArray q = linear(x, w[2], w[3]).reshape(b, t, h, hs);   // (B, T, H, hs)
        NDArray k = linear(x, w[4], w[5]).reshape(b, t, kvh, hs); // (B, T, KV, hs)
        if (rope != null) { // rotated before the heads move forward, while the projections are contiguous
            q = rotary.apply(q, rope);
            k = rotary.apply(k, rope);
        }
        q = q.transpose(0, 2, 1, 3); // (B, H, T, hs)
        k = k.transpose(0, 2, 1, 3); // (B, KV, T, hs)
        NDArray v = linear(x, w[6], w[7]).reshape(b, t, kvh, hs).transpose(0, 2, 1, 3);
        if (cache != null) {
            NDArray[] kv = cache.append(index, k, v); // (B, KV, S, hs)
            k = kv[0];
            v = kv[1];
        }
        // grouped-query attention without copying keys: the R query heads of a group share one key/value head
        NDArray q5 = q.reshape(b, kvh, h / kvh, t, hs);
        NDArray scores = q5.matMul(k.expandDims(2).transpose(0, 1, 2, 4, 3)) // (B, KV, R, T, S)
                .mul(tracelens.nn.Scalars.of(q, 1f / (float) Math.sqrt(hs))).add(maskBias);
        NDArray ctx = scores.softmax(-1).matMul(v.expandDims(2));          // (B, KV, R, T, hs)
        ctx = ctx.reshape(b, h, t, hs).transpose(0, 2, 1, 3).reshape(b, t, h * hs);
        return linear(ctx, w[8], w[9]);
    }

    private NDArray mlp(NDArray x) {
        return switch (config.mlp()) {
            case SWIGLU -> { // w2(silu(w1 x) * w3 x)
                NDArray gate = linear(x, w[12], null);
                yield linear(gate.mul(Activation.sigmoid(gate)).mul(linear(x, w[16], null)), w[14], null); // silu(g) = g * sigmoid(g)
            }
            case GELU -> linear(Activation.gelu(linear(x, w[12], w[13])), w[14], w[15]);
            case GELU_TANH -> linear(geluTanh(linear(x, w[12], w[13])), w[14], w[15]);
        };
    }

    /** GPT-2's "gelu_new": 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
    private static NDArray geluTanh(NDArray x) {
        NDArray inner = x.add(x.pow(Scalars.of(x, 3)).mul(Scalars.of(x, 0.044715f))).mul(Scalars.of(x, (float) Math.sqrt(2 / Math.PI))).tanh();
        return x.mul(inner.add(1f)).mul(Scalars.of(x, 0.5f));
    }

    /** LayerNorm or RMSNorm (x / sqrt(mean(x^2) + eps) * w), as the config says. */
    static NDArray norm(DecoderConfig config, NDArray x, NDArray weight, NDArray bias) {
        if (config.norm() == DecoderConfig.Norm.LAYER) {
            return LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), weight, bias, config.normEps()).get(0);
        }
        NDArray rms = x.square().mean(new int[] {-1}, true).add(config.normEps()).sqrt();
        return x.div(rms).mul(weight);
    }

    private NDArray norm(NDArray x, NDArray weight, NDArray bias) {
        return norm(config, x, weight, bias);
    }

    static NDArray linear(NDArray x, NDArray w, NDArray b) {
        return (b == null ? Linear.linear(x, w) : Linear.linear(x, w, b)).get(0);
    }

    @Override
    public Parameters parameters() {
        return params;
    }

    @Override
    public void close() {
        if (owned != null) {
            owned.close();
        }
    }
}
