package tracelens.model.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import tracelens.error.InvalidInputException;
import tracelens.model.HiddenStateModel;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.nn.Hooks;
import tracelens.nn.Parameters;
import tracelens.nn.Site;

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
    private final String id;
    private final DecoderConfig config;
    private final TextTokenizer tokenizer;
    private final NDManager weights;
    private final NDArray tokEmb;   // (V, C)
    private final NDArray posEmb;   // (P, C), learned positions only
    private final DecoderBlock[] blocks;
    private final Parameters params = new Parameters();
    private List<Site> sites;
    private final NDArray normW;
    private final NDArray normB;
    private final NDArray lmHead;   // (V, C), the embedding itself when tied
    private final Rotary rotary;    // null with learned positions
    private final DecoderParams source; // streamed: where each block's weights are read from while it runs; else null

    public Decoder(String id, DecoderConfig config, DecoderParams params, TextTokenizer tokenizer, NDManager weights) {
        this(id, config, params, tokenizer, weights, false);
    }

    /**
     * With {@code streamed}, the blocks' weights are not loaded: each block reads its weights from {@code params} (which
     * this decoder then owns and closes) when it runs and frees them after, so only the embeddings, the final norm and the
     * output head stay resident (see MemoryBudget).
     */
    public Decoder(String id, DecoderConfig config, DecoderParams params, TextTokenizer tokenizer, NDManager weights, boolean streamed) {
        this.id = id;
        this.config = config;
        this.tokenizer = tokenizer;
        this.weights = weights;
        this.source = streamed ? params : null;
        int c = config.hiddenSize();
        boolean nb = config.hasNormBias();
        tokEmb = load(params, "tok_embeddings", config.vocabSize(), c);
        posEmb = config.positions() == DecoderConfig.Positions.LEARNED ? load(params, "pos_embeddings", config.maxPositions(), c) : null;
        rotary = config.positions() == DecoderConfig.Positions.ROTARY
                ? new Rotary(weights, config.headSize(), config.rotaryDim(), config.ropeTheta()) : null;
        blocks = new DecoderBlock[config.numLayers()];
        for (int l = 0; l < blocks.length && !streamed; l++) {
            blocks[l] = new DecoderBlock(config, l, rotary, DecoderBlock.read(config, params, l, weights), null);
        }
        normW = load(params, "norm.weight", c);
        normB = nb ? load(params, "norm.bias", c) : null;
        lmHead = config.tiedEmbeddings() ? tokEmb : load(params, "lm_head", config.vocabSize(), c);
        this.params.add("tok_embeddings", tokEmb);
        if (posEmb != null) {
            this.params.add("pos_embeddings", posEmb);
        }
        for (DecoderBlock block : blocks) {
            if (block != null) { // streamed blocks hold no weights between passes
                this.params.addAll("layers." + block.index(), block.parameters());
            }
        }
        this.params.add("norm.weight", normW);
        if (normB != null) {
            this.params.add("norm.bias", normB);
        }
        if (!config.tiedEmbeddings()) {
            this.params.add("lm_head", lmHead);
        }
        this.params.setTrainable(true);
    }

    private NDArray load(DecoderParams params, String name, long... shape) {
        return weights.create(params.get(name, shape), new Shape(shape), DataType.FLOAT32);
    }

    public DecoderConfig config() {
        return config;
    }

    /**
     * Block {@code l} as a module of its own: a view sharing this decoder's weights, frozen; when streamed, the block
     * loaded alone (it owns its weights: close it).
     */
    public DecoderBlock block(int l) {
        if (l < 0 || l >= blocks.length) {
            throw new tracelens.error.InvalidInputException("layer " + l + " is out of range: the model has blocks 0.."
                    + (blocks.length - 1));
        }
        return source != null ? DecoderBlock.load(config, source, l, tracelens.runtime.DjlRuntime.manager())
                : new DecoderBlock(config, l, rotary, blocks[l].weights(), null);
    }

    /** Whether the blocks' weights are read while each block runs instead of held (see MemoryBudget). */
    public boolean streamed() {
        return source != null;
    }

    /** The number of weights, blocks included whether held or streamed. */
    @Override
    public long parameterCount() {
        return parameterCount(config);
    }

    /** The weights of a decoder of {@code config}: embeddings, blocks, final norm and (untied) output head. */
    public static long parameterCount(DecoderConfig config) {
        return residentParameterCount(config) + (long) config.numLayers() * DecoderBlock.parameterCount(config);
    }

    /** The weights a streamed decoder holds throughout: everything but the blocks. */
    public static long residentParameterCount(DecoderConfig config) {
        long c = config.hiddenSize();
        long n = config.vocabSize() * c * (config.tiedEmbeddings() ? 1 : 2) + c * (config.hasNormBias() ? 2 : 1);
        if (config.positions() == DecoderConfig.Positions.LEARNED) {
            n += config.maxPositions() * c;
        }
        return n;
    }

    @Override
    public List<Site> sites() {
        if (sites == null) {
            int c = config.hiddenSize();
            int n = blocks.length;
            List<Site> out = new ArrayList<>();
            out.add(Site.tokens("embed", "token" + (posEmb != null ? " + position" : "") + " embedding (hidden state 0)", c));
            for (int l = 0; l < n; l++) {
                String p = "blocks." + l + ".";
                out.add(Site.tokens(p + "attn_out", "self-attention output projection, before the residual add", c));
                out.add(Site.tokens(p + "mlp_out", "MLP output, before the residual add", c));
                out.add(Site.tokens(p + "resid_post", "block output (the residual stream)"
                        + (l + 1 < n ? " (hidden state " + (l + 1) + ")" : ""), c));
            }
            out.add(Site.tokens("final_norm", "after the final norm, the unembedding's input (hidden state " + n + ")", c));
            sites = List.copyOf(out);
        }
        return sites;
    }

    @Override
    public String hiddenStateSite(int index) {
        return index == 0 ? "embed" : index == blocks.length ? "final_norm" : "blocks." + (index - 1) + ".resid_post";
    }

    @Override
    public void forward(NDManager scope, TokenBatch batch, Hooks hooks) {
        long[] positions = batch.positionsOverPadding() ? overPadding(batch.batch(), batch.width())
                : positionsFromMask(batch.mask(), batch.batch(), batch.width());
        forward(scope, batch.batch(), batch.width(), batch.ids(), positions, batch.mask(), null, hooks, false, false);
    }

    /** Positions 0..T-1 in every row, pads included (the SIP code's fixed left-padded window). */
    static long[] overPadding(int b, int t) {
        long[] pos = new long[b * t];
        for (int i = 0; i < pos.length; i++) {
            pos[i] = i % t;
        }
        return pos;
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
     * @param hooks what to do at the activation sites; the pass stops after the last touched site unless logits or a
     *     cache need every layer
     * @param logits whether to compute logits; {@code lastOnly}: only at the last position, (B, V), else (B, T, V)
     * @return the logits in {@code scope}, or null
     */
    public NDArray forward(NDManager scope, int b, int t, long[] ids, long[] positions, long[] mask, KvCache cache,
            Hooks hooks, boolean logits, boolean lastOnly) {
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
        int last = lastTouched(hooks);
        // sites: embed, 3 per block, final_norm; every layer runs when logits or the cache's keys and values are needed
        int deepest = logits || cache != null || last == 3 * nl + 1 ? nl : last <= 0 ? 0 : (last - 1) / 3 + 1;
        long[] keyMask = keyMask(cache, b, t, mask);
        NDArray out = null;
        try (NDManager work = scope.newSubManager()) {
            NDArray idArr = work.create(ids, new Shape(b, t));
            NDArray x = Embedding.embedding(idArr, tokEmb, SparseFormat.DENSE).get(0); // (B, T, C)
            NDArray posArr = work.create(positions, new Shape(b, t));
            if (posEmb != null) {
                x = x.add(Embedding.embedding(posArr, posEmb, SparseFormat.DENSE).get(0));
            }
            Rotary.Tables rope = rotary == null ? null : rotary.tables(work, positions, b, t);
            NDArray maskBias = work.create(causalMaskBias(keyMask, b, t, past), new Shape(b, 1, 1, t, past + t));
            x = hooks.at("embed", x);
            for (int l = 0; l < deepest; l++) {
                List<java.nio.ByteBuffer> streamedWeights = source == null ? null : new ArrayList<>();
                try (NDManager layerScope = work.newSubManager()) {
                    x.tempAttach(layerScope);
                    DecoderBlock block = source == null ? blocks[l]  // streamed: this block's weights, freed with layerScope
                            : new DecoderBlock(config, l, rotary, DecoderBlock.read(config, source, l, layerScope, streamedWeights), null);
                    NDArray y = block.forward(x, rope, maskBias, cache, b, t, past, hooks, "blocks." + l + ".");
                    y.attach(work);
                    x = y;
                }
                if (streamedWeights != null) { // the arrays over them are closed: release the memory now
                    streamedWeights.forEach(tracelens.io.Buffers::free);
                }
                x = hooks.at("blocks." + l + ".resid_post", x);
            }
            if (deepest == nl && (logits || last == 3 * nl + 1)) {
                NDArray h = hooks.at("final_norm", DecoderBlock.norm(config, x, normW, normB)); // the input of the unembedding
                if (logits) {
                    NDArray lastRow = lastOnly ? h.get(new NDIndex(":, -1, :")) : h;
                    out = Linear.linear(lastRow, lmHead).get(0);
                    out.attach(scope);
                }
            }
        }
        if (cache != null) {
            cache.advance(b, t, mask);
        }
        return out;
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

    /** Every parameter by its {@link DecoderParams} name; the weights of a loaded checkpoint may be read-only mapped memory. */
    @Override
    public Parameters parameters() {
        return params;
    }

    @Override
    public void close() {
        weights.close();
        tokenizer.close();
        if (source != null) {
            source.close();
        }
    }
}
