package tracelens.model.llama;

import java.nio.ByteBuffer;
import tracelens.error.UnsupportedModelException;
import tracelens.model.TensorStore;
import tracelens.model.decoder.CheckpointTensors;
import tracelens.model.decoder.DecoderConfig;
import tracelens.model.decoder.HfConfig;

/**
 * Hugging Face Llama-family checkpoints ({@code model_type} llama, mistral or qwen2): RMSNorm, rotary embedding,
 * SwiGLU, grouped-query attention. Qwen2 is the same network with biases on q, k and v and its own rope_theta.
 */
public final class LlamaFamily {
    private LlamaFamily() {}

    public static DecoderConfig config(HfConfig c, boolean hasLmHead) {
        String type = c.modelType();
        if (c.has("rope_scaling")) {
            throw new UnsupportedModelException(c.file() + ": field 'rope_scaling' (" + c.root().get("rope_scaling")
                    + ") is not supported; only plain rotary embedding is");
        }
        int hidden = c.integer("hidden_size");
        int heads = c.positive("num_attention_heads");
        if (c.has("head_dim") && c.integer("head_dim") * heads != hidden) {
            throw new UnsupportedModelException(c.file() + ": field 'head_dim' (" + c.integer("head_dim")
                    + ") differs from hidden_size / num_attention_heads; not supported");
        }
        boolean qwen = type.equals("qwen2");
        boolean bias = qwen || c.flag("attention_bias", false);
        // a missing lm_head.weight also means tied embeddings (some exports drop it)
        boolean tied = c.flag("tie_word_embeddings", !hasLmHead) || !hasLmHead;
        return c.checked(() -> new DecoderConfig(type, c.integer("vocab_size"), hidden, c.integer("num_hidden_layers"), heads,
                c.integer("num_key_value_heads", heads), c.integer("intermediate_size"), c.integer("max_position_embeddings"),
                DecoderConfig.Norm.RMS, (float) c.number("rms_norm_eps", 1e-6), DecoderConfig.Positions.ROTARY, hidden / heads,
                c.number("rope_theta", 10000.0), bias, !qwen && bias, DecoderConfig.Mlp.SWIGLU, false, tied,
                c.tokenId("bos_token_id"), c.tokenId("eos_token_id")));
    }

    /** Hugging Face names: model.embed_tokens, model.layers.N.{input_layernorm, self_attn.*_proj, ...}, lm_head. */
    public static final class Params extends CheckpointTensors {
        public Params(TensorStore store) {
            super(store);
        }

        @Override
        public ByteBuffer get(String canonical, long... shape) {
            if (canonical.startsWith("layers.")) {
                int dot = canonical.indexOf('.', 7);
                String p = "model.layers." + canonical.substring(7, dot) + ".";
                String name = switch (canonical.substring(dot + 1)) {
                    case "attn_norm.weight" -> "input_layernorm.weight";
                    case "mlp_norm.weight" -> "post_attention_layernorm.weight";
                    case "wq" -> "self_attn.q_proj.weight";
                    case "wk" -> "self_attn.k_proj.weight";
                    case "wv" -> "self_attn.v_proj.weight";
                    case "wo" -> "self_attn.o_proj.weight";
                    case "bq" -> "self_attn.q_proj.bias";
                    case "bk" -> "self_attn.k_proj.bias";
                    case "bv" -> "self_attn.v_proj.bias";
                    case "bo" -> "self_attn.o_proj.bias";
                    case "w1" -> "mlp.gate_proj.weight";
                    case "w2" -> "mlp.down_proj.weight";
                    case "w3" -> "mlp.up_proj.weight";
                    default -> throw new IllegalArgumentException(canonical);
                };
                return fetch(p + name, shape);
            }
            return fetch(switch (canonical) {
                case "tok_embeddings" -> "model.embed_tokens.weight";
                case "norm.weight" -> "model.norm.weight";
                case "lm_head" -> "lm_head.weight";
                default -> throw new IllegalArgumentException(canonical);
            }, shape);
        }
    }
}
