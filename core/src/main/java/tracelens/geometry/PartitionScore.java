package tracelens.geometry;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The partition score of Mu and Viswanath (2018), informational only (geometry.md §6): I(W) = min_c Z(c) / max_c Z(c)
 * with Z(c) = sum_i exp(c . w_i) and c over the eigenvectors of W^T W (W not centred). The definition is ill-posed
 * (eigenvector signs are arbitrary), so two variants fix the sign: {@code CANONICAL} flips each eigenvector so its
 * largest-|entry| is positive; {@code SYMMETRIC} lets c range over +v and -v. Evaluated in the log domain:
 * log Z = logsumexp, I = exp(min log Z - max log Z).
 */
public final class PartitionScore {
    public enum Variant { CANONICAL, SYMMETRIC }

    private PartitionScore() {}

    public static double of(double[][] w, Variant variant) {
        Points.check(w, 1, 1);
        int m = w.length;
        int n = w[0].length;
        double[][] g = new double[n][n];
        for (double[] row : w) {
            for (int a = 0; a < n; a++) {
                for (int b = a; b < n; b++) {
                    g[a][b] += row[a] * row[b];
                }
            }
        }
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < a; b++) {
                g[a][b] = g[b][a];
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
        if (!eig.decompose(new DMatrixRMaj(g))) {
            throw new IllegalStateException("eigendecomposition failed");
        }
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        double[] dots = new double[m];
        for (int k = 0; k < n; k++) {
            DMatrixRMaj v = eig.getEigenVector(k);
            int big = 0;
            for (int j = 1; j < n; j++) {
                if (Math.abs(v.get(j)) > Math.abs(v.get(big))) {
                    big = j;
                }
            }
            double sign = v.get(big) < 0 ? -1 : 1;
            for (int i = 0; i < m; i++) {
                double s = 0;
                for (int j = 0; j < n; j++) {
                    s += w[i][j] * v.get(j);
                }
                dots[i] = sign * s;
            }
            for (double direction : variant == Variant.SYMMETRIC ? new double[] {1, -1} : new double[] {1}) {
                double logZ = logSumExp(dots, direction);
                min = Math.min(min, logZ);
                max = Math.max(max, logZ);
            }
        }
        return Math.exp(min - max);
    }

    private static double logSumExp(double[] x, double sign) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : x) {
            max = Math.max(max, sign * v);
        }
        double s = 0;
        for (double v : x) {
            s += Math.exp(sign * v - max);
        }
        return max + Math.log(s);
    }
}
