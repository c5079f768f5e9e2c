package tracelens.model;

import java.nio.ByteBuffer;

/**
 * Named checkpoint tensors in Hugging Face naming and layout (Linear weights as [out, in]), whatever the
 * file format behind them. Architecture packages read their parameters through this and nothing else.
 */
public interface TensorStore extends AutoCloseable {
    boolean contains(String name);

    long[] shape(String name);

    /** The tensor as a direct little-endian f32 buffer, widened from f16/bf16 where stored so. */
    ByteBuffer float32(String name);

    /** Where the tensors come from, for error messages. */
    String describe();

    @Override
    void close();
}
