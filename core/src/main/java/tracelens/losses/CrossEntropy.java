package tracelens.losses;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Softmax cross-entropy, mean over the batch: -1/B sum_i sum_c t_ic log softmax(z_i)_c. With label smoothing eps the
 * targets are (1 - eps) onehot + eps / C, as {@code torch.nn.CrossEntropyLoss(label_smoothing=eps)}; eps = 0 gives
 * exactly the one-hot loss.
 */
public final class CrossEntropy {
    private CrossEntropy() {}

    /** The loss of logits (B, C) against labels 0..C-1. */
    public static NDArray mean(NDArray logits, int[] labels, float smoothing) {
        int classes = (int) logits.getShape().get(1);
        return mean(logits, logits.getManager().create(targets(labels, classes, smoothing), new Shape(labels.length, classes)));
    }

    /** The loss of logits (B, C) against target distributions (B, C). */
    public static NDArray mean(NDArray logits, NDArray targets) {
        // the divisor in engine-owned memory: backward reads it (see nn.Scalars)
        return logits.logSoftmax(-1).mul(targets).sum().div(tracelens.nn.Scalars.of(logits, -(int) logits.getShape().get(0)));
    }

    /** (1 - eps) onehot + eps / C, row-major (B, C). */
    public static float[] targets(int[] labels, int classes, float smoothing) {
        float[] t = new float[labels.length * classes];
        float off = smoothing / classes;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " outside 0.." + (classes - 1));
            }
            for (int c = 0; c < classes; c++) {
                t[i * classes + c] = (c == labels[i] ? 1 - smoothing : 0) + off;
            }
        }
        return t;
    }

    /** One row's loss in double: logsumexp(z) - z[label] (no smoothing), for evaluation outside the engine. */
    public static double value(float[] z, int offset, int classes, int label) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) {
            max = Math.max(max, z[offset + c]);
        }
        double e = 0;
        for (int c = 0; c < classes; c++) {
            e += Math.exp(z[offset + c] - max);
        }
        return max + Math.log(e) - z[offset + label];
    }
}
