package tracelens.losses;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import tracelens.error.InvalidInputException;

/**
 * Supervised contrastive loss L_out (Khosla et al., NeurIPS 2020) with the semantics of the reference code
 * (HobbitLong/SupContrast losses.py, 2023 fix; supcon.md §3): view-major contrast rows, row-max stabilisation,
 * self-excluded denominator, mean log-probability over positives (anchors without positives count as 0 in the mean),
 * scaled by temperature / baseTemperature. Features are expected L2-normalised; the loss does not normalise them.
 * Positives: an explicit mask, else equal labels, else (SimCLR) the other views of the same sample.
 */
public final class SupConLoss {
    public enum Mode { ALL, ONE }

    private SupConLoss() {}

    /** The positive mask M (B x B) from labels or an explicit mask (at most one of them). */
    static double[][] positives(int b, int[] labels, double[][] mask) {
        if (labels != null && mask != null) {
            throw new IllegalArgumentException("give labels or a mask, not both");
        }
        double[][] m = new double[b][b];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < b; j++) {
                if (mask != null) {
                    m[i][j] = mask[i][j];
                } else if (labels != null) {
                    m[i][j] = labels[i] == labels[j] ? 1 : 0;
                } else {
                    m[i][j] = i == j ? 1 : 0;
                }
            }
        }
        if (labels != null && labels.length != b) {
            throw new InvalidInputException("labels has " + labels.length + " entries for " + b + " samples");
        }
        return m;
    }

    /** The reference loop in double precision (supcon.md §4): the oracle of the engine version. */
    public static double reference(double[][][] f, int[] labels, double[][] mask, double tau, double baseTau, Mode mode) {
        int b = f.length;
        int v = f[0].length;
        int n = b * v;
        if (n < 2) {
            throw new IllegalArgumentException("SupCon needs at least 2 contrast rows");
        }
        double[][] m = positives(b, labels, mask);
        double[][] z = new double[n][];
        for (int view = 0; view < v; view++) {
            for (int i = 0; i < b; i++) {
                z[view * b + i] = f[i][view];
            }
        }
        int na = mode == Mode.ALL ? n : b;
        double total = 0;
        for (int a = 0; a < na; a++) {
            double[] row = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int k = 0; k < n; k++) {
                double dot = 0;
                for (int d = 0; d < z[a].length; d++) {
                    dot += z[a][d] * z[k][d];
                }
                row[k] = dot / tau;
                max = Math.max(max, row[k]);
            }
            double den = 0;
            for (int k = 0; k < n; k++) {
                if (k != a) {
                    den += Math.exp(row[k] - max);
                }
            }
            double logDen = Math.log(den);
            double num = 0;
            double cnt = 0;
            for (int k = 0; k < n; k++) {
                double w = m[a % b][k % b];
                if (k != a && w > 0) {
                    num += w * (row[k] - max - logDen);
                    cnt += w;
                }
            }
            if (cnt < 1e-6) {
                cnt = 1;
            }
            total += -(tau / baseTau) * (num / cnt);
        }
        return total / na;
    }

    /** The vectorised loss on the engine (supcon.md §5), differentiable in {@code features} [B, V, D]. */
    public static NDArray loss(NDArray features, int[] labels, double[][] mask, float tau, float baseTau, Mode mode) {
        if (features.getShape().dimension() < 3) {
            throw new IllegalArgumentException("features must be [B, V, D...], found " + features.getShape());
        }
        int b = (int) features.getShape().get(0);
        int v = (int) features.getShape().get(1);
        int n = b * v;
        if (n < 2) {
            throw new IllegalArgumentException("SupCon needs at least 2 contrast rows");
        }
        NDArray f = features.reshape(b, v, -1);
        NDList views = new NDList();
        for (int view = 0; view < v; view++) {
            views.add(f.get(new NDIndex(":, " + view + ", :")));
        }
        NDArray z = NDArrays.concat(views, 0); // [N, D], view-major
        int na = mode == Mode.ALL ? n : b;
        NDArray anchors = mode == Mode.ALL ? z : views.get(0);
        NDArray s = anchors.matMul(z.transpose()).div(tracelens.nn.Scalars.of(z, tau)); // [Na, N]
        s = s.sub(s.max(new int[] {1}, true).stopGradient());
        double[][] m = positives(b, labels, mask);
        float[] notSelf = new float[na * n];
        float[] pos = new float[na * n];
        for (int a = 0; a < na; a++) {
            for (int k = 0; k < n; k++) {
                notSelf[a * n + k] = k == a ? 0 : 1;
                pos[a * n + k] = k == a ? 0 : (float) m[a % b][k % b];
            }
        }
        NDArray notSelfArr = s.getManager().create(notSelf, new Shape(na, n)).toType(s.getDataType(), false);
        NDArray posArr = s.getManager().create(pos, new Shape(na, n)).toType(s.getDataType(), false);
        NDArray logDen = s.exp().mul(notSelfArr).sum(new int[] {1}, true).log();
        NDArray logProb = s.sub(logDen);
        float[] cnt = new float[na];
        for (int a = 0; a < na; a++) {
            float c = 0;
            for (int k = 0; k < n; k++) {
                c += pos[a * n + k];
            }
            cnt[a] = c < 1e-6f ? 1 : c;
        }
        NDArray cntArr = s.getManager().create(cnt).toType(s.getDataType(), false);
        return posArr.mul(logProb).sum(new int[] {1}).div(cntArr).mul(tracelens.nn.Scalars.of(z, -tau / baseTau)).mean();
    }
}
