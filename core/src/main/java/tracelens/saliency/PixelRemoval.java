package tracelens.saliency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Comparator;
import tracelens.cnn.Cnn;
import tracelens.nn.Hooks;
import tracelens.sip.Metrics;

/**
 * parchgrad.md §7's pixel-removal curves: the pixels are ordered by attribution, most relevant first (MoRF) or least
 * (LeRF), with a stable sort on (value, index); the first floor(ratio H W) are set to 0 in every channel of the
 * normalised input (the mean colour) and the unmodified model is run on all ratios in one batch. Per ratio: aopc =
 * p_orig - p_new(label), lodds = ln(p_new(label) / (p_orig + 1e-10)), acc = [argmax = label], fracdiff =
 * |p_orig(yhat) - p_new(yhat)| with yhat the original prediction.
 */
public final class PixelRemoval {
    public static final double[] RATIOS = {0, 0.1, 0.2, 0.3, 0.4, 0.5};

    /** Per ratio, in RATIOS order. */
    public record Curve(double[] aopc, double[] lodds, double[] acc, double[] fracdiff) {}

    private PixelRemoval() {}

    /** x: one normalised image (1, 3, H, W); map: H x W; mostRelevantFirst: MoRF, else LeRF. */
    public static Curve curve(NDManager m, Cnn cnn, NDArray x, float[] map, int label, boolean mostRelevantFirst) {
        int h = (int) x.getShape().get(2);
        int w = (int) x.getShape().get(3);
        int n = h * w;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Comparator<Integer> byValue = Comparator.comparingDouble((Integer i) -> Float.isNaN(map[i]) ? 0 : map[i]).thenComparingInt(i -> i);
        Arrays.sort(order, mostRelevantFirst ? byValue.reversed() : byValue);
        float[] keep = new float[RATIOS.length * n];
        Arrays.fill(keep, 1f);
        for (int r = 0; r < RATIOS.length; r++) {
            int k = (int) Math.floor(RATIOS[r] * n);
            for (int i = 0; i < k; i++) {
                keep[r * n + order[i]] = 0f;
            }
        }
        try (NDManager scope = m.newSubManager()) {
            NDArray masks = scope.create(keep, new Shape(RATIOS.length, 1, h, w));
            NDArray batch = x.repeat(0, RATIOS.length).mul(masks);
            float[] p = cnn.forward(batch, Hooks.none(scope)).softmax(1).toFloatArray();
            int k = p.length / RATIOS.length;
            int[] predicted = Metrics.argmax(p, k); // row 0 is the unmasked image: its prediction is yhat
            int yhat = predicted[0];
            double pOrig = p[label];
            double pOrigHat = p[yhat];
            double[] aopc = new double[RATIOS.length];
            double[] lodds = new double[RATIOS.length];
            double[] acc = new double[RATIOS.length];
            double[] frac = new double[RATIOS.length];
            for (int r = 0; r < RATIOS.length; r++) {
                aopc[r] = pOrig - p[r * k + label];
                lodds[r] = Math.log(p[r * k + label] / (pOrig + 1e-10));
                acc[r] = predicted[r] == label ? 1 : 0;
                frac[r] = Math.abs(pOrigHat - p[r * k + yhat]);
            }
            return new Curve(aopc, lodds, acc, frac);
        }
    }
}
