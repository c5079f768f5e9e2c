package tracelens.geometry;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * VarEx, the IsoScore paper's baseline (geometry.md §7): with k = max(1, floor(0.3 n)), (k/n) divided by the fraction
 * of the total variance in the top-k principal components (1 for isotropic data, smaller when variance concentrates).
 */
public final class VarEx {
    private VarEx() {}

    public static double of(double[][] p) {
        Points.check(p, 2, 2);
        return ofCovariance(Points.covariance(p, false));
    }

    /** VarEx of a covariance matrix (scale does not matter); NaN when the total variance is 0. */
    public static double ofCovariance(double[][] c) {
        int n = c.length;
        if (n < 2) {
            throw new tracelens.error.InvalidInputException("needs at least 2 dimensions, found " + n);
        }
        DMatrixRMaj m = new DMatrixRMaj(c);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false, true);
        if (!eig.decompose(m)) {
            throw new IllegalStateException("eigendecomposition failed");
        }
        double[] values = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            values[i] = Math.max(0, eig.getEigenvalue(i).getReal());
            total += values[i];
        }
        if (!(total > 0)) {
            return Double.NaN;
        }
        Arrays.sort(values);
        int k = Math.max(1, (int) Math.floor(0.3 * n));
        double top = 0;
        for (int i = 0; i < k; i++) {
            top += values[n - 1 - i];
        }
        return ((double) k / n) / (top / total);
    }
}
