package tracelens.model.decoder;

import java.nio.ByteBuffer;

/**
 * A checkpoint's parameters under the decoder's canonical names, whatever the family's own names and layouts.
 * Linear weights come as [out, in]. Canonical names: {@code tok_embeddings}, {@code pos_embeddings},
 * {@code norm.weight|bias}, {@code lm_head}, and per layer {@code layers.N.} + {@code attn_norm.weight|bias},
 * {@code wq|wk|wv|wo}, {@code bq|bk|bv|bo}, {@code mlp_norm.weight|bias}, {@code w1|w2|w3}, {@code b1|b2}.
 */
public interface DecoderParams extends AutoCloseable {
    /** The tensor as a direct little-endian f32 buffer of exactly {@code shape}; errors name the checkpoint's tensor. */
    ByteBuffer get(String canonical, long... shape);

    /** Where the parameters come from, for messages. */
    String describe();

    @Override
    void close();
}
