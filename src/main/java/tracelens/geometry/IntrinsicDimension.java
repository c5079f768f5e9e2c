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

    /** For each point, the sorted distances to its {@code k} nearest other points. */
    private static double[][] neighbours(double[][] p, int k) {
        int m = p.length;
        double[][] q = scaled(p);
        double[][] out = new double[m][];
        double[] d = new double[m];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double s = 0;
                for (int t = 0; t < q[i].length; t++) {
                    double v = q[i][t] - q[j][t];
                    s += v * v;
                }
                d[j] = j == i ? Double.POSITIVE_INFINITY : Math.sqrt(s);
            }
            double[] sorted = d.clone();
            Arrays.sort(sorted);
            out[i] = Arrays.copyOf(sorted, k);
        }
        return out;
    }

    private static double[][] scaled(double[][] p) {
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
