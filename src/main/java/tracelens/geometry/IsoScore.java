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

    public static double[][] identity(int n) {
        double[][] i = new double[n][n];
        for (int k = 0; k < n; k++) {
            i[k][k] = 1;
        }
        return i;
    }
}
