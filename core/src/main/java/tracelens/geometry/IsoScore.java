package tracelens.geometry;

import tracelens.error.InvalidInputException;

/**
 * IsoScore (Rudman et al., Findings of ACL 2022) and IsoScore* (Rudman and Eickhoff, ICLR 2024) in the closed form of
 * geometry.md §2.2: with k = (tr S)^2 / ||S||_F^2 (the participation ratio of the covariance), the score is
 * (k - 1)/(n - 1). Evaluated scale-safely (S divided by its trace before squaring), in double precision.
 * IsoScore* first shrinks the batch covariance towards C0: S = (1 - zeta) C + zeta C0.
 */
public final class IsoScore {
    private IsoScore() {}

    /** IsoScore of points (m x n, rows are points); m < n is allowed (the missing variances count as 0). */
    public static double of(double[][] p) {
        Points.check(p, 2, 2);
        return ofCovariance(Points.covariance(p, false)); // scale-invariant: the rescaled covariance suffices
    }

    /** IsoScore of a covariance matrix; NaN when its trace is 0 (all points identical). */
    public static double ofCovariance(double[][] c) {
        int n = c.length;
        if (n < 2) {
            throw new InvalidInputException("IsoScore needs at least 2 dimensions, found " + n);
        }
        double t = 0;
        for (int i = 0; i < n; i++) {
            t += c[i][i];
        }
        if (!(t > 0) || !Double.isFinite(t)) {
            return Double.NaN;
        }
        double f = 0;
        for (double[] row : c) {
            for (double v : row) {
                double s = v / t;
                f += s * s;
            }
        }
        return (1 / f - 1) / (n - 1);
    }

    /** IsoScore*: IsoScore of (1 - zeta) cov(P) + zeta C0; C0 is not read when zeta = 0. */
    public static double star(double[][] p, double[][] c0, double zeta) {
        if (!(zeta >= 0 && zeta <= 1)) {
            throw new InvalidInputException("zeta must be in [0, 1], found " + zeta);
        }
        Points.check(p, 2, 2);
        return starOfCovariance(Points.covariance(p, true), c0, zeta);
    }

    /** IsoScore* from the batch covariance {@code c} (n x n, ddof 1) instead of the points. */
    public static double starOfCovariance(double[][] c, double[][] c0, double zeta) {
        if (!(zeta >= 0 && zeta <= 1)) {
            throw new InvalidInputException("zeta must be in [0, 1], found " + zeta);
        }
        int n = c.length;
        if (zeta == 0) {
            return ofCovariance(c);
        }
        if (c0.length != n || c0[0].length != n) {
            throw new InvalidInputException("C0 is " + c0.length + " x " + c0[0].length + ", the points have " + n + " dimensions");
        }
        double[][] s = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                if (!Double.isFinite(c0[a][b])) {
                    throw new InvalidInputException("C0 entry (" + (a + 1) + ", " + (b + 1) + ") is " + c0[a][b]);
                }
                s[a][b] = (1 - zeta) * c[a][b] + zeta * c0[a][b];
            }
        }
        return ofCovariance(s);
    }

    /**
     * IsoScore* exactly as the reference computes it (geometry.md §3.1, flag emulateTorchConstants): the singular values
     * of S through the original 7-step form, with sqrt(n), n - sqrt(n) and sqrt(2(n - sqrt(n))) rounded to float32 as
     * torch does for an int64 n. Differs from {@link #starOfCovariance} by up to about 5e-8.
     */
    public static double starTorchFaithful(double[][] c, double[][] c0, double zeta) {
        int n = c.length;
        double[][] s = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                s[a][b] = (1 - zeta) * c[a][b] + (zeta == 0 ? 0 : zeta * c0[a][b]);
            }
        }
        org.ejml.interfaces.decomposition.SingularValueDecomposition_F64<org.ejml.data.DMatrixRMaj> svd =
                org.ejml.dense.row.factory.DecompositionFactory_DDRM.svd(n, n, false, false, true);
        if (!svd.decompose(new org.ejml.data.DMatrixRMaj(s))) {
            throw new IllegalStateException("SVD failed");
        }
        double[] pcs = svd.getSingularValues();
        float n32 = n;
        float r32 = (float) Math.sqrt(n32);
        float a32 = n32 - r32;
        float spice32 = (float) Math.sqrt(2f * a32);
        double norm = 0;
        for (double v : pcs) {
            norm += v * v;
        }
        norm = Math.sqrt(norm);
        double l2 = 0;
        for (double v : pcs) {
            double d = v * r32 / norm - 1;
            l2 += d * d;
        }
        double delta = Math.sqrt(l2) / spice32;
        double score = Math.pow(n - delta * delta * a32, 2) - n;
        return score / ((double) n * (n - 1));
    }

    /**
     * Checks a shrinkage target C0 (geometry.md §3): finite, symmetric within 1e-10 max|C0|, and positive semi-definite
     * (smallest eigenvalue at least -1e-10 tr C0).
     */
    public static void checkShrinkageTarget(double[][] c0) {
        int n = c0.length;
        double max = 0;
        double trace = 0;
        for (int a = 0; a < n; a++) {
            if (c0[a].length != n) {
                throw new InvalidInputException("C0 must be square, row " + (a + 1) + " has " + c0[a].length + " values for " + n + " rows");
            }
            for (int b = 0; b < n; b++) {
                if (!Double.isFinite(c0[a][b])) {
                    throw new InvalidInputException("C0 entry (" + (a + 1) + ", " + (b + 1) + ") is " + c0[a][b]);
                }
                max = Math.max(max, Math.abs(c0[a][b]));
            }
            trace += c0[a][a];
        }
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < a; b++) {
                if (Math.abs(c0[a][b] - c0[b][a]) > 1e-10 * max) {
                    throw new InvalidInputException("C0 is not symmetric: entries (" + (a + 1) + ", " + (b + 1) + ") and ("
                            + (b + 1) + ", " + (a + 1) + ") differ");
                }
            }
        }
        org.ejml.interfaces.decomposition.EigenDecomposition_F64<org.ejml.data.DMatrixRMaj> eig =
                org.ejml.dense.row.factory.DecompositionFactory_DDRM.eig(n, false, true);
        if (!eig.decompose(new org.ejml.data.DMatrixRMaj(c0))) {
            throw new IllegalStateException("eigendecomposition failed");
        }
        for (int i = 0; i < n; i++) {
            double v = eig.getEigenvalue(i).getReal();
            if (v < -1e-10 * Math.abs(trace)) {
                throw new InvalidInputException("C0 is not positive semi-definite (an eigenvalue is " + v + ")");
            }
        }
    }

    public static double[][] identity(int n) {
        double[][] i = new double[n][n];
        for (int k = 0; k < n; k++) {
            i[k][k] = 1;
        }
        return i;
    }
}
