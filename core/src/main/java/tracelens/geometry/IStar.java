package tracelens.geometry;

import ai.djl.ndarray.NDArray;

/**
 * The I-STAR regulariser (Rudman and Eickhoff, ICLR 2024; geometry.md §4): penalty = lambda (1 - IsoScore*(H; C0,
 * zeta)), added to the task loss. lambda > 0 pushes the representations towards isotropy, lambda < 0 away from it.
 * Two forms: a differentiable one on the engine (autograd through the closed form, no SVD), and the analytic
 * gradient in double precision that serves as its oracle:
 * G = dIso/dS = [(2t/f) I - (2t^2/f^2) S] / (n - 1) with t = tr S, f = ||S||_F^2, and
 * dIso/dP = (2 (1 - zeta) / (m - 1)) P_c G.
 */
public final class IStar {
    private IStar() {}

    /** lambda (1 - IsoScore*) of H (m x n) on the engine, differentiable in H. {@code c0} (n x n) is a constant. */
    public static NDArray penalty(NDArray h, NDArray c0, float zeta, float lambda) {
        return penalty(h, c0, diagonalSum(c0), zeta, lambda);
    }

    /**
     * As above, with C0's trace given: a training loop whose C0 is fixed for an epoch computes it once, not with a copy of
     * C0 to the host at every step.
     */
    public static NDArray penalty(NDArray h, NDArray c0, double traceC0, float zeta, float lambda) {
        long m = h.getShape().get(0);
        long n = h.getShape().get(1);
        NDArray centred = h.sub(h.mean(new int[] {0}, true));
        NDArray c = centred.transpose().matMul(centred).div(tracelens.nn.Scalars.of(h, m - 1));
        NDArray s = c.mul(tracelens.nn.Scalars.of(h, 1 - zeta)).add(c0.mul(tracelens.nn.Scalars.of(h, zeta)));
        // trace(S) = (1 - zeta) trace(C) + zeta trace(C0), and trace(C) = sum of squared centred values / (m - 1):
        // no identity matrix (the engine has no trace), and every scalar in memory the graph owns (nn.Scalars)
        NDArray t = centred.square().sum().mul(tracelens.nn.Scalars.of(h, (1 - zeta) / (m - 1)))
                .add(tracelens.nn.Scalars.of(h, zeta * traceC0));
        NDArray f = s.square().sum();
        NDArray iso = t.square().div(f).sub(tracelens.nn.Scalars.of(h, 1)).div(tracelens.nn.Scalars.of(h, n - 1));
        return iso.neg().add(tracelens.nn.Scalars.of(h, 1)).mul(tracelens.nn.Scalars.of(h, lambda));
    }

    /** The trace of a square constant matrix, summed in double on the host. */
    private static double diagonalSum(NDArray square) {
        double[] v = square.toType(ai.djl.ndarray.types.DataType.FLOAT64, true).toDoubleArray();
        int n = (int) square.getShape().get(0);
        double t = 0;
        for (int i = 0; i < n; i++) {
            t += v[i * n + i];
        }
        return t;
    }

    /** The penalty in double precision (same closed form). */
    public static double penalty(double[][] p, double[][] c0, double zeta, double lambda) {
        return lambda * (1 - IsoScore.star(p, c0, zeta));
    }

    /** d penalty / d P, analytically. */
    public static double[][] gradient(double[][] p, double[][] c0, double zeta, double lambda) {
        int m = p.length;
        int n = p[0].length;
        double[][] c = Covariance.of(p);
        double[][] s = new double[n][n];
        double t = 0;
        double f = 0;
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                s[a][b] = (1 - zeta) * c[a][b] + zeta * c0[a][b];
                f += s[a][b] * s[a][b];
            }
            t += s[a][a];
        }
        double[][] g = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                g[a][b] = ((a == b ? 2 * t / f : 0) - 2 * t * t / (f * f) * s[a][b]) / (n - 1);
            }
        }
        double[] mean = new double[n];
        for (double[] row : p) {
            for (int j = 0; j < n; j++) {
                mean[j] += row[j] / m;
            }
        }
        double scale = -lambda * 2 * (1 - zeta) / (m - 1);
        double[][] out = new double[m][n];
        for (int i = 0; i < m; i++) {
            for (int b = 0; b < n; b++) {
                double v = 0;
                for (int a = 0; a < n; a++) {
                    v += (p[i][a] - mean[a]) * g[a][b];
                }
                out[i][b] = scale * v;
            }
        }
        return out;
    }
}
