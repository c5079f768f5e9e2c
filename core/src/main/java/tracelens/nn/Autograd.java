package tracelens.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Records the engine operations of the current thread for a backward pass, as DJL's GradientCollector does, but
 * without its process-wide "one collector at a time" flag: the engine's grad mode is per thread and each backward pass
 * runs on the thread that calls it, so two threads may train two models at once (SIP trains layers side by side).
 * Closing restores the thread's previous grad mode.
 */
public final class Autograd implements AutoCloseable {
    private final boolean previous;

    private Autograd() {
        previous = JniUtils.isGradMode();
        JniUtils.setGradMode(true);
    }

    /**
     * Whether this thread records engine operations for a backward pass. A loop that writes an array's memory itself
     * must not run then: the engine would not see it, and gradients would skip it (DJL's {@code hasGradient} says
     * nothing here: it is false for every array but a leaf with a gradient buffer).
     */
    public static boolean recording() {
        return JniUtils.isGradMode();
    }

    /** Starts recording on this thread. */
    public static Autograd record() {
        return new Autograd();
    }

    /** d target / d leaves (summed over target's elements), accumulated into the leaves' gradients; frees the graph. */
    public void backward(NDArray target) {
        backward(target, false);
    }

    /** As {@link #backward(NDArray)}; {@code keepGraph} keeps the graph for a later backward through the same pieces. */
    public static void backward(NDArray target, boolean keepGraph) {
        NDArray ones = target.onesLike();
        JniUtils.backward((PtNDArray) target, (PtNDArray) ones, keepGraph, false);
    }

    @Override
    public void close() {
        if (!previous) {
            JniUtils.setGradMode(false);
        }
    }
}
