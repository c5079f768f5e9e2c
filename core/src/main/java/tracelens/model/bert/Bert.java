package tracelens.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;
import tracelens.error.InvalidInputException;
import tracelens.model.HiddenStateModel;
import tracelens.model.TensorStore;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.nn.Hooks;
import tracelens.nn.Parameters;
import tracelens.nn.Site;

/**
 * BERT (Devlin et al., 2019) on NDArray, returning every layer's hidden state. Post-norm blocks:
 * {@code x = LN(x + Attn(x)); x = LN(x + FFN(x))} with erf-GELU, as Hugging Face's {@code BertModel}.
 *
 * <p>Shapes: B batch, T tokens, C hidden, H heads, hs head size. Every op takes the activation as its first
 * operand so that results land in the caller's scope, never in the weights' manager.
 */
public final class Bert implements HiddenStateModel {
    /** One encoder block's parameters; Linear weights are [out, in] as in Hugging Face. */
    private record Block(NDArray wq, NDArray bq, NDArray wk, NDArray bk, NDArray wv, NDArray bv,
            NDArray wo, NDArray bo, NDArray ln1g, NDArray ln1b,
            NDArray w1, NDArray b1, NDArray w2, NDArray b2, NDArray ln2g, NDArray ln2b) {
        static final String[] NAMES = {"attention.self.query.weight", "attention.self.query.bias", "attention.self.key.weight",
            "attention.self.key.bias", "attention.self.value.weight", "attention.self.value.bias", "attention.output.dense.weight",
            "attention.output.dense.bias", "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
            "intermediate.dense.weight", "intermediate.dense.bias", "output.dense.weight", "output.dense.bias",
            "output.LayerNorm.weight", "output.LayerNorm.bias"};

        List<NDArray> all() {
            return List.of(wq, bq, wk, bk, wv, bv, wo, bo, ln1g, ln1b, w1, b1, w2, b2, ln2g, ln2b);
        }

        Block map(java.util.function.UnaryOperator<NDArray> f) {
            return new Block(f.apply(wq), f.apply(bq), f.apply(wk), f.apply(bk), f.apply(wv), f.apply(bv), f.apply(wo),
                    f.apply(bo), f.apply(ln1g), f.apply(ln1b), f.apply(w1), f.apply(b1), f.apply(w2), f.apply(b2),
                    f.apply(ln2g), f.apply(ln2b));
        }
    }

    private final String id;
    private final BertConfig config;
    private final TextTokenizer tokenizer;
    private final NDManager weights;
    private NDArray wordEmb;  // (vocab, C)
    private NDArray posEmb;   // (maxPos, C)
    private NDArray typeEmb;  // (types, C)
    private NDArray embLnG;
    private NDArray embLnB;
    private final Block[] blocks;
    private Parameters params; // built (and the weights copied) on first use
    private List<Site> sites;

    /** Reads the parameters from {@code store} (HF names) into {@code weights}, which this model then owns. */
    public Bert(String id, BertConfig config, TensorStore store, TextTokenizer tokenizer, NDManager weights) {
        this.id = id;
        this.config = config;
        this.tokenizer = tokenizer;
        this.weights = weights;
        int c = config.hiddenSize();
        Loader p = new Loader(store, weights);
        wordEmb = p.get("embeddings.word_embeddings.weight", config.vocabSize(), c);
        posEmb = p.get("embeddings.position_embeddings.weight", config.maxPositions(), c);
        typeEmb = p.get("embeddings.token_type_embeddings.weight", config.typeVocabSize(), c);
        embLnG = p.get("embeddings.LayerNorm.weight", c);
        embLnB = p.get("embeddings.LayerNorm.bias", c);
        blocks = new Block[config.numLayers()];
        int f = config.intermediateSize();
        for (int l = 0; l < blocks.length; l++) {
            String pre = "encoder.layer." + l + ".";
            blocks[l] = new Block(
                    p.get(pre + "attention.self.query.weight", c, c), p.get(pre + "attention.self.query.bias", c),
                    p.get(pre + "attention.self.key.weight", c, c), p.get(pre + "attention.self.key.bias", c),
                    p.get(pre + "attention.self.value.weight", c, c), p.get(pre + "attention.self.value.bias", c),
                    p.get(pre + "attention.output.dense.weight", c, c), p.get(pre + "attention.output.dense.bias", c),
                    p.get(pre + "attention.output.LayerNorm.weight", c), p.get(pre + "attention.output.LayerNorm.bias", c),
                    p.get(pre + "intermediate.dense.weight", f, c), p.get(pre + "intermediate.dense.bias", f),
                    p.get(pre + "output.dense.weight", c, f), p.get(pre + "output.dense.bias", c),
                    p.get(pre + "output.LayerNorm.weight", c), p.get(pre + "output.LayerNorm.bias", c));
        }
    }

    /** Reads named tensors with a shape check that names the tensor and both shapes. */
    private record Loader(TensorStore store, NDManager manager) {
        NDArray get(String name, long... shape) {
            if (!store.contains(name)) {
                throw new InvalidInputException(store.describe() + ": tensor '" + name + "' is missing");
            }
            long[] actual = store.shape(name);
            if (!java.util.Arrays.equals(actual, shape)) {
                throw new InvalidInputException(store.describe() + ": tensor '" + name + "' has shape "
                        + java.util.Arrays.toString(actual) + ", expected " + java.util.Arrays.toString(shape));
            }
            return manager.create(store.float32(name), new Shape(shape), DataType.FLOAT32);
        }
    }

    @Override
    public List<Site> sites() {
        if (sites == null) {
            int c = config.hiddenSize();
            List<Site> out = new ArrayList<>();
            out.add(Site.tokens("embed", "embedding output, after the embedding LayerNorm (hidden state 0)", c));
            for (int l = 0; l < blocks.length; l++) {
                String p = "blocks." + l + ".";
                out.add(Site.tokens(p + "attn_out", "self-attention output projection, before the residual and LayerNorm", c));
                out.add(Site.tokens(p + "mlp_out", "feed-forward output, before the residual and LayerNorm", c));
                out.add(Site.tokens(p + "resid_post", "block output, after the second LayerNorm (hidden state " + (l + 1) + ")", c));
            }
            sites = List.copyOf(out);
        }
        return sites;
    }

    @Override
    public String hiddenStateSite(int index) {
        return index == 0 ? "embed" : "blocks." + (index - 1) + ".resid_post";
    }

    /**
     * One forward pass; every site passes through {@code hooks}. Blocks past the last site the hooks touch are
     * skipped. Everything computed on the way but not recorded is freed before returning.
     */
    @Override
    public void forward(NDManager scope, TokenBatch batch, Hooks hooks) {
        int last = lastTouched(hooks);
        int deepest = last <= 0 ? 0 : (last - 1) / 3 + 1; // sites: embed, then 3 per block
        int b = batch.batch();
        int t = batch.width();
        if (t > config.maxPositions()) {
            throw new InvalidInputException("sequence of " + t + " tokens exceeds max_position_embeddings " + config.maxPositions());
        }
        try (NDManager work = scope.newSubManager()) {
            // the id tensors wrap Java-allocated buffers that live only as long as their arrays, and the embedding
            // lookups' backward reads them: they must outlive the graph, so they go to the caller's scope, not `work`
            NDArray ids = scope.create(batch.ids(), new Shape(b, t));
            NDArray types = scope.create(batch.typeIds(), new Shape(b, t));
            NDArray mask = work.create(batch.mask(), new Shape(b, t)).toType(DataType.FLOAT32, false);
            // additive mask (B, 1, 1, T): 0 on tokens, float32 min on padding, as Hugging Face does
            NDArray maskBias = mask.neg().add(1f).mul(-Float.MAX_VALUE).reshape(b, 1, 1, t);
            NDArray positions = work.arange(0, t, 1, DataType.INT64);

            NDArray x = ids.toType(DataType.INT64, false);
            x = gather(x, wordEmb)
                    .add(gather(types, typeEmb))
                    .add(gather(positions, posEmb).expandDims(0)); // (T, C) broadcasts over B
            x = LayerNorm.layerNorm(x, new Shape(config.hiddenSize()), embLnG, embLnB, config.layerNormEps()).get(0);
            x = hooks.at("embed", x);
            for (int l = 0; l < deepest; l++) { // blocks past the deepest touched site are skipped
                try (NDManager layerScope = work.newSubManager()) {
                    x.tempAttach(layerScope);
                    NDArray y = block(blocks[l], "blocks." + l + ".", x, maskBias, b, t, hooks);
                    y.attach(work);
                    x = y;
                }
                x = hooks.at("blocks." + l + ".resid_post", x);
            }
        }
    }

    private static NDArray gather(NDArray idx, NDArray table) {
        // idx first so the result lands in idx's scope (the table lives in the weights' manager)
        return Embedding.embedding(idx, table, SparseFormat.DENSE).get(0);
    }

    private NDArray block(Block w, String site, NDArray x, NDArray maskBias, int b, int t, Hooks hooks) {
        int h = config.numHeads();
        int hs = config.headSize();
        int c = config.hiddenSize();
        NDArray q = heads(Linear.linear(x, w.wq(), w.bq()).get(0), b, t, h, hs); // (B, H, T, hs)
        NDArray k = heads(Linear.linear(x, w.wk(), w.bk()).get(0), b, t, h, hs);
        NDArray v = heads(Linear.linear(x, w.wv(), w.bv()).get(0), b, t, h, hs);
        // scaled and masked in place: the same kernels as div and add, without writing two more (B, H, T, T) arrays (the
        // product's output is not saved for backward, so fine-tuning's autograd allows it)
        NDArray att = q.matMul(k.transpose(0, 1, 3, 2)); // (B, H, T, T)
        att.divi(tracelens.nn.Scalars.of(q, Math.sqrt(hs))).addi(maskBias);
        att = att.softmax(-1);
        NDArray ctx = att.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, c); // (B, T, C)
        NDArray a = hooks.at(site + "attn_out", Linear.linear(ctx, w.wo(), w.bo()).get(0));
        x = LayerNorm.layerNorm(a.add(x), new Shape(c), w.ln1g(), w.ln1b(), config.layerNormEps()).get(0);
        NDArray f = Activation.gelu(Linear.linear(x, w.w1(), w.b1()).get(0)); // erf GELU, (B, T, 4C)
        f = hooks.at(site + "mlp_out", Linear.linear(f, w.w2(), w.b2()).get(0));
        return LayerNorm.layerNorm(f.add(x), new Shape(c), w.ln2g(), w.ln2b(), config.layerNormEps()).get(0);
    }

    private static NDArray heads(NDArray x, int b, int t, int h, int hs) {
        return x.reshape(b, t, h, hs).transpose(0, 2, 1, 3);
    }

    /**
     * Every parameter under its Hugging Face name (embeddings, then the blocks in order), as the live arrays:
     * fine-tuning updates them in place. The engine wraps loaded weights without copying (a safetensors file stays
     * memory-mapped, read-only), so the first call copies every parameter into memory the engine owns; inference never
     * pays for that copy.
     */
    @Override
    public Parameters parameters() {
        if (params == null) {
            java.util.function.UnaryOperator<NDArray> own = p -> {
                NDArray copy = p.duplicate();
                copy.attach(weights);
                p.close();
                return copy;
            };
            wordEmb = own.apply(wordEmb);
            posEmb = own.apply(posEmb);
            typeEmb = own.apply(typeEmb);
            embLnG = own.apply(embLnG);
            embLnB = own.apply(embLnB);
            params = new Parameters().add("embeddings.word_embeddings.weight", wordEmb)
                    .add("embeddings.position_embeddings.weight", posEmb)
                    .add("embeddings.token_type_embeddings.weight", typeEmb)
                    .add("embeddings.LayerNorm.weight", embLnG).add("embeddings.LayerNorm.bias", embLnB);
            for (int l = 0; l < blocks.length; l++) {
                blocks[l] = blocks[l].map(own);
                List<NDArray> all = blocks[l].all();
                for (int i = 0; i < all.size(); i++) {
                    params.add("encoder.layer." + l + "." + Block.NAMES[i], all.get(i));
                }
            }
        }
        return params;
    }

    public BertConfig config() {
        return config;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String architecture() {
        return "bert";
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
        return false;
    }

    @Override
    public void close() {
        weights.close();
        tokenizer.close();
    }
}
