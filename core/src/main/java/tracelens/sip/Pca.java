package tracelens.sip;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * Principal component projection to 2-D: centre the points, take the two leading eigenvectors of their covariance
 * (symmetric eigendecomposition in double precision, EJML), and flip each so its largest-|loading| entry is
 * positive, which makes the picture deterministic.
 */
public final class Pca {
    private Pca() {}

    /** (n, 2) coordinates of the rows of x. */
    public static float[][] project2(float[][] x) {
        int n = x.length;
        int d = x[0].length;
        double[] mean = new double[d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
        }
        DMatrixRMaj cov = new DMatrixRMaj(d, d);
        double[] c = new double[d];
        for (float[] row : x) {
            for (int j = 0; j < d; j++) {
                c[j] = row[j] - mean[j];
            }
            for (int a = 0; a < d; a++) {
                double ca = c[a];
                if (ca == 0) {
                    continue;
                }
                int base = a * d;
                for (int b = a; b < d; b++) {
                    cov.data[base + b] += ca * c[b];
                }
            }
        }
        for (int a = 0; a < d; a++) {
            for (int b = a; b < d; b++) {
                double v = cov.data[a * d + b] / Math.max(1, n - 1);
                cov.data[a * d + b] = v;
                cov.data[b * d + a] = v;
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, true, true);
        if (!eig.decompose(cov)) {
            throw new IllegalStateException("eigendecomposition failed");
        }
        int[] top = {-1, -1};
        for (int i = 0; i < eig.getNumberOfEigenvalues(); i++) {
            double v = eig.getEigenvalue(i).getReal();
            if (top[0] < 0 || v > eig.getEigenvalue(top[0]).getReal()) {
                top[1] = top[0];
                top[0] = i;
            } else if (top[1] < 0 || v > eig.getEigenvalue(top[1]).getReal()) {
                top[1] = i;
            }
        }
        double[][] comps = new double[2][d];
        for (int k = 0; k < 2; k++) {
            DMatrixRMaj vec = eig.getEigenVector(top[k]);
            int big = 0;
            for (int j = 0; j < d; j++) {
                comps[k][j] = vec.get(j);
                if (Math.abs(comps[k][j]) > Math.abs(comps[k][big])) {
                    big = j;
                }
            }
            if (comps[k][big] < 0) {
                for (int j = 0; j < d; j++) {
                    comps[k][j] = -comps[k][j];
                }
            }
        }
        float[][] out = new float[n][2];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 2; k++) {
                double s = 0;
                for (int j = 0; j < d; j++) {
                    s += (x[i][j] - mean[j]) * comps[k][j];
                }
                out[i][k] = (float) s;
            }
        }
        return out;
    }
}
