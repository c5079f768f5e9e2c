package tracelens.model.neox;

import java.nio.ByteBuffer;
import tracelens.error.UnsupportedModelException;
import tracelens.model.TensorStore;
import tracelens.model.decoder.CheckpointTensors;
import tracelens.model.decoder.DecoderConfig;
import tracelens.model.decoder.HfConfig;

/**
 * GPT-NeoX / Pythia ({@code model_type} gpt_neox): LayerNorm with bias, rotary embedding on the first
 * {@code rotary_pct} of each head, parallel residual {@code x + attn(ln1(x)) + mlp(ln2(x))}, exact-GELU MLP,
 * separate unembedding. The fused query_key_value weight is laid out per head as (heads, 3, hs, C).
 */
public final class NeoxFamily {
    private NeoxFamily() {}

    public static DecoderConfig config(HfConfig c) {
        int hidden = c.integer("hidden_size");
        int heads = c.positive("num_attention_heads");
        int hs = hidden / heads;
        int rotary = (int) (hs * c.number("rotary_pct", 0.25));
        String act = c.text("hidden_act", "gelu");
        DecoderConfig.Mlp mlp = switch (act) {
            case "gelu" -> DecoderConfig.Mlp.GELU;
            case "gelu_new", "gelu_fast", "gelu_pytorch_tanh" -> DecoderConfig.Mlp.GELU_TANH;
            default -> throw new UnsupportedModelException(c.file() + ": field 'hidden_act' is '" + act + "'; supported: gelu, gelu_new");
        };
        if (c.has("rope_scaling")) {
            throw new UnsupportedModelException(c.file() + ": field 'rope_scaling' is not supported");
        }
        return c.checked(() -> new DecoderConfig("gpt_neox", c.integer("vocab_size"), hidden, c.integer("num_hidden_layers"), heads, heads,
                c.integer("intermediate_size"), c.integer("max_position_embeddings"), DecoderConfig.Norm.LAYER,
                (float) c.number("layer_norm_eps", 1e-5), DecoderConfig.Positions.ROTARY, rotary - rotary % 2,
                c.number("rotary_emb_base", c.number("rope_theta", 10000.0)), c.flag("attention_bias", true),
                c.flag("attention_bias", true), mlp, c.flag("use_parallel_residual", true), c.flag("tie_word_embeddings", false),
                c.tokenId("bos_token_id"), c.tokenId("eos_token_id")));
    }

    /** Hugging Face names: gpt_neox.embed_in, gpt_neox.layers.N.{attention.query_key_value, ...}, embed_out. */
    public static final class Params extends CheckpointTensors {
        private final int heads;
        private final int hs;

        public Params(TensorStore store, DecoderConfig config) {
            super(store);
            this.heads = config.numHeads();
            this.hs = config.headSize();
        }

        @Override
        public ByteBuffer get(String canonical, long... shape) {
            if (canonical.startsWith("layers.")) {
                int dot = canonical.indexOf('.', 7);
                String p = "gpt_neox.layers." + canonical.substring(7, dot) + ".";
                String what = canonical.substring(dot + 1);
                int c = heads * hs;
                return switch (what) {
                    case "attn_norm.weight" -> fetch(p + "input_layernorm.weight", shape);
                    case "attn_norm.bias" -> fetch(p + "input_layernorm.bias", shape);
                    case "mlp_norm.weight" -> fetch(p + "post_attention_layernorm.weight", shape);
                    case "mlp_norm.bias" -> fetch(p + "post_attention_layernorm.bias", shape);
                    case "wq", "wk", "wv" -> pickRows(fetch(p + "attention.query_key_value.weight", 3L * c, c), c, qkvRows(what));
                    case "bq", "bk", "bv" -> pickRows(fetch(p + "attention.query_key_value.bias", 3L * c), 1, qkvRows(what));
                    case "wo" -> fetch(p + "attention.dense.weight", shape);
                    case "bo" -> fetch(p + "attention.dense.bias", shape);
                    case "w1" -> fetch(p + "mlp.dense_h_to_4h.weight", shape);
                    case "b1" -> fetch(p + "mlp.dense_h_to_4h.bias", shape);
                    case "w2" -> fetch(p + "mlp.dense_4h_to_h.weight", shape);
                    case "b2" -> fetch(p + "mlp.dense_4h_to_h.bias", shape);
                    default -> throw new IllegalArgumentException(canonical);
                };
            }
            return fetch(switch (canonical) {
                case "tok_embeddings" -> "gpt_neox.embed_in.weight";
                case "norm.weight" -> "gpt_neox.final_layer_norm.weight";
                case "norm.bias" -> "gpt_neox.final_layer_norm.bias";
                case "lm_head" -> "embed_out.weight";
                default -> throw new IllegalArgumentException(canonical);
            }, shape);
        }

        /** Rows of q, k or v in the fused matrix: head h's block is rows h*3*hs .. h*3*hs + 3*hs, q then k then v. */
        private int[] qkvRows(String what) {
            int which = "qkv".indexOf(what.charAt(1));
            int[] rows = new int[heads * hs];
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < hs; i++) {
                    rows[h * hs + i] = h * 3 * hs + which * hs + i;
                }
            }
            return rows;
        }
    }
}
