package tracelens.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * A scalar operand for an op inside an autograd graph. DJL's {@code x.mul(2f)}, {@code div}, {@code pow} and
 * {@code maximum} with a Java number wrap a small Java buffer for the number (zero-copy) and close that array right
 * after the op; backward, which reads the saved operand of mul, div, pow and maximum, then reads memory the garbage
 * collector may already have freed and reused: an intermittent NaN gradient (the PiFi and fine-tuning flakes; forcing a
 * collection before backward reproduced them). {@code of} makes the scalar with {@code full}, which the engine itself
 * allocates and reference-counts, so the graph keeps it alive.
 */
public final class Scalars {
    private Scalars() {}

    /** {@code v} as a 0-d array of {@code like}'s manager and data type, in engine-owned memory. */
    public static NDArray of(NDArray like, double v) {
        return like.getManager().full(new Shape(), (float) v, like.getDataType());
    }
}
