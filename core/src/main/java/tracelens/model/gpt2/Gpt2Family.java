package tracelens.model.gpt2;

import java.nio.ByteBuffer;
import tracelens.error.UnsupportedModelException;
import tracelens.model.TensorStore;
import tracelens.model.decoder.CheckpointTensors;
import tracelens.model.decoder.DecoderConfig;
import tracelens.model.decoder.HfConfig;

/**
 * GPT-2 ({@code model_type} gpt2): learned positions, LayerNorm, tanh-GELU MLP, unembedding tied to the token
 * embedding. Its Conv1D layers store weights as [in, out] (transposed on load), and c_attn fuses q, k and v
 * column-wise.
 */
public final class Gpt2Family {
    private Gpt2Family() {}

    public static DecoderConfig config(HfConfig c) {
        int hidden = c.integer("n_embd");
        String act = c.text("activation_function", "gelu_new");
        DecoderConfig.Mlp mlp = switch (act) {
            case "gelu_new", "gelu_fast", "gelu_pytorch_tanh" -> DecoderConfig.Mlp.GELU_TANH;
            case "gelu" -> DecoderConfig.Mlp.GELU;
            default -> throw new UnsupportedModelException(c.file() + ": field 'activation_function' is '" + act + "'; supported: gelu_new, gelu");
        };
        int heads = c.positive("n_head");
        return c.checked(() -> new DecoderConfig("gpt2", c.integer("vocab_size"), hidden, c.integer("n_layer"), heads, heads,
                c.integer("n_inner", 4 * hidden), c.integer("n_positions"), DecoderConfig.Norm.LAYER,
                (float) c.number("layer_norm_epsilon", 1e-5), DecoderConfig.Positions.LEARNED, 0, 10000.0, true, true, mlp,
                false, true, c.tokenId("bos_token_id"), c.tokenId("eos_token_id")));
    }

    /** Hugging Face names, with or without the "transformer." prefix: wte, wpe, h.N.{ln_1, attn.c_attn, ...}, ln_f. */
    public static final class Params extends CheckpointTensors {
        private final String prefix;
        private final int c;
        private final int f;

        public Params(TensorStore store, DecoderConfig config) {
            super(store);
            this.prefix = store.contains("transformer.wte.weight") ? "transformer." : "";
            this.c = config.hiddenSize();
            this.f = config.intermediateSize();
        }

        @Override
        public ByteBuffer get(String canonical, long... shape) {
            if (canonical.startsWith("layers.")) {
                int dot = canonical.indexOf('.', 7);
                String p = prefix + "h." + canonical.substring(7, dot) + ".";
                String what = canonical.substring(dot + 1);
                return switch (what) {
                    case "attn_norm.weight" -> fetch(p + "ln_1.weight", shape);
                    case "attn_norm.bias" -> fetch(p + "ln_1.bias", shape);
                    case "mlp_norm.weight" -> fetch(p + "ln_2.weight", shape);
                    case "mlp_norm.bias" -> fetch(p + "ln_2.bias", shape);
                    case "wq", "wk", "wv" -> {
                        ByteBuffer all = transpose(fetch(p + "attn.c_attn.weight", c, 3L * c), c, 3 * c); // (3C, C)
                        yield pickRows(all, c, range("qkv".indexOf(what.charAt(1)) * c, c));
                    }
                    case "bq", "bk", "bv" -> slice(fetch(p + "attn.c_attn.bias", 3L * c), "qkv".indexOf(what.charAt(1)) * c, c);
                    case "wo" -> transpose(fetch(p + "attn.c_proj.weight", c, c), c, c);
                    case "bo" -> fetch(p + "attn.c_proj.bias", shape);
                    case "w1" -> transpose(fetch(p + "mlp.c_fc.weight", c, f), c, f);
                    case "b1" -> fetch(p + "mlp.c_fc.bias", shape);
                    case "w2" -> transpose(fetch(p + "mlp.c_proj.weight", f, c), f, c);
                    case "b2" -> fetch(p + "mlp.c_proj.bias", shape);
                    default -> throw new IllegalArgumentException(canonical);
                };
            }
            return fetch(switch (canonical) {
                case "tok_embeddings" -> prefix + "wte.weight";
                case "pos_embeddings" -> prefix + "wpe.weight";
                case "norm.weight" -> prefix + "ln_f.weight";
                case "norm.bias" -> prefix + "ln_f.bias";
                default -> throw new IllegalArgumentException(canonical);
            }, shape);
        }
    }
}
