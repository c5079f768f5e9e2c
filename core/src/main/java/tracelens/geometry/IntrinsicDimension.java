package tracelens.geometry;

import java.util.Arrays;
import tracelens.error.InvalidInputException;

/**
 * Intrinsic dimension estimators as scikit-dimension computes them (geometry.md §8): TwoNN (Facco et al., 2017) with
 * the current empirical F (i/N for i = 1..K) or the legacy one (i = 0..K-1, what I-STAR used), discarding the top
 * 10% of ratios; and MLE (Levina and Bickel) with k = 20 neighbours and the harmonic-mean global estimate. Exact
 * Euclidean distances on data divided by its largest absolute centred value (both estimators use ratios only).
 */
public final class IntrinsicDimension {
    public enum TwoNnVariant { FIXED, LEGACY }

    private IntrinsicDimension() {}

    /** Above this many points the candidate neighbours come from engine matrix products (geometry.md §8). */
    static final int ENGINE_ABOVE = 5000;

    /** For each point, the sorted distances to its {@code k} nearest other points. */
    static double[][] neighbours(double[][] p, int k) {
        return p.length > ENGINE_ABOVE ? neighboursOnEngine(scaled(p), k) : neighboursExact(scaled(p), k);
    }

    /**
     * Blocks of squared distances |a|^2 + |b|^2 - 2 a.b (less the row's constant |a|^2) from float32 products on the engine shortlist the nearest
     * {@code k + 8} candidates of each point; their distances are then recomputed exactly in double, so the result
     * equals the exact search unless the float32 rounding (about 1e-6 of the squared norms) reorders a true neighbour
     * past 8 others.
     */
    static double[][] neighboursOnEngine(double[][] q, int k) {
        int m = q.length;
        int n = q[0].length;
        int candidates = Math.min(m, k + 9); // + self
        float[] flat = new float[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                flat[i * n + j] = (float) q[i][j];
            }
        }
        double[][] out = new double[m][];
        int block = 1024;
        try (ai.djl.ndarray.NDManager manager = tracelens.runtime.DjlRuntime.manager()) {
            ai.djl.ndarray.NDArray x = manager.create(flat, new ai.djl.ndarray.types.Shape(m, n));
            ai.djl.ndarray.NDArray sq = x.square().sum(new int[] {1}).expandDims(0);
            ai.djl.ndarray.NDArray xt = x.transpose().mul(-2f); // -2 b, so a block costs one product and one add
            for (int from = 0; from < m; from += block) {
                int b = Math.min(block, m - from);
                try (ai.djl.ndarray.NDManager scope = manager.newSubManager()) {
                    ai.djl.ndarray.NDArray xb = x.get(from + ":" + (from + b));
                    xb.attach(scope);
                    // |b|^2 - 2 a.b ranks the neighbours of a as |a - b|^2 does: |a|^2 is the same along the row
                    ai.djl.ndarray.NDArray d2 = xb.matMul(xt).addi(sq);
                    long[] idx = d2.topK(candidates, 1, false, true).get(1).toLongArray();
                    for (int i = 0; i < b; i++) {
                        int row = from + i;
                        double[] d = new double[candidates];
                        int c = 0;
                        for (int t = 0; t < candidates; t++) {
                            int j = (int) idx[i * candidates + t];
                            d[c++] = j == row ? Double.POSITIVE_INFINITY : distance(q[row], q[j]);
                        }
                        java.util.Arrays.sort(d);
                        out[row] = java.util.Arrays.copyOf(d, k);
                    }
                }
            }
        }
        return out;
    }

    private static double distance(double[] a, double[] b) {
        double s = 0;
        for (int t = 0; t < a.length; t++) {
            double v = a[t] - b[t];
            s += v * v;
        }
        return Math.sqrt(s);
    }

    static double[][] neighboursExact(double[][] q, int k) {
        int m = q.length;
        double[][] out = new double[m][];
        double[] d = new double[m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                d[j] = j == i ? Double.POSITIVE_INFINITY : distance(q[i], q[j]);
            }
            double[] sorted = d.clone();
            Arrays.sort(sorted);
            out[i] = Arrays.copyOf(sorted, k);
        }
        return out;
    }

    static double[][] scaled(double[][] p) {
        double max = 0;
        double[] mean = new double[p[0].length];
        for (double[] row : p) {
            for (int j = 0; j < row.length; j++) {
                mean[j] += row[j] / p.length;
            }
        }
        for (double[] row : p) {
            for (int j = 0; j < row.length; j++) {
                max = Math.max(max, Math.abs(row[j] - mean[j]));
            }
        }
        double inv = max > 0 ? 1 / max : 1;
        double[][] q = new double[p.length][];
        for (int i = 0; i < p.length; i++) {
            q[i] = new double[p[i].length];
            for (int j = 0; j < p[i].length; j++) {
                q[i][j] = (p[i][j] - mean[j]) * inv;
            }
        }
        return q;
    }

    public static double twoNn(double[][] p, TwoNnVariant variant) {
        Points.check(p, 3, 1);
        int m = p.length;
        double[][] nn = neighbours(p, 2);
        double[] mu = new double[m];
        for (int i = 0; i < m; i++) {
            mu[i] = nn[i][1] / nn[i][0];
        }
        Arrays.sort(mu); // NaN sorts last, as numpy does
        int keep = (int) Math.floor(m * (1 - 0.1));
        double sxy = 0;
        double sxx = 0;
        for (int i = 0; i < keep; i++) {
            double f = variant == TwoNnVariant.FIXED ? (i + 1) / (double) m : i / (double) m;
            double x = Math.log(mu[i]);
            double y = -Math.log(1 - f);
            if (!Double.isFinite(x)) {
                throw new InvalidInputException("TwoNN: more than 10% of the points are duplicates (a nearest-neighbour distance is 0)");
            }
            sxy += x * y;
            sxx += x * x;
        }
        return sxx == 0 ? 0 : sxy / sxx;
    }

    public static double mle(double[][] p, int k) {
        Points.check(p, 3, 1);
        int kk = Math.min(k, p.length - 1);
        double[][] nn = neighbours(p, kk);
        double inverseSum = 0;
        for (double[] r : nn) {
            double s = 0;
            for (int j = 0; j < kk; j++) {
                if (r[j] == 0) {
                    throw new InvalidInputException("MLE: duplicate points (a neighbour distance is 0)");
                }
                s += Math.log(r[kk - 1] / r[j]);
            }
            double d = (kk - 1) / s;
            inverseSum += 1 / d;
        }
        return 1 / (inverseSum / nn.length);
    }
}
