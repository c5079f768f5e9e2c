package tracelens.ilm;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;
import tracelens.error.NumericalFailureException;

/**
 * L2-regularised logistic regression as scikit-learn's {@code LogisticRegression(C)} defines it, solved to convergence
 * in double precision: objective 1/2 ||W||^2 + C sum_i -log p(y_i | x_i) with unpenalised intercepts; two classes use
 * one weight vector (predict class 1 iff w.x + b > 0), more use the multinomial softmax with one vector per class.
 *
 * <p>Two classes: Newton's method with a backtracking line search. The d x d Hessian block I + X^T W X is inverted
 * through the Woodbury identity with the n x n matrix I + W^1/2 X X^T W^1/2, so a step costs O(n^2 d + n^3) however
 * wide the states are (896 dimensions, 400 samples). More classes: L-BFGS (memory 10) to a gradient norm below 1e-8.
 */
public final class LogisticRegression {
    private final double[][] w; // (K', d), K' = 1 for two classes
    private final double[] b;
    private final int classes;

    private LogisticRegression(double[][] w, double[] b, int classes) {
        this.w = w;
        this.b = b;
        this.classes = classes;
    }

    public static LogisticRegression fit(double[][] x, int[] y, int classes, double c) {
        return classes == 2 ? binary(x, y, c, null) : multinomial(x, y, classes, c);
    }

    /** As {@link #fit}, given X X^T (n x n) when the caller has it (two classes use it; null computes it). */
    public static LogisticRegression fit(double[][] x, int[] y, int classes, double c, DMatrixRMaj gram) {
        return classes == 2 ? binary(x, y, c, gram) : multinomial(x, y, classes, c);
    }

    public int[] predict(double[][] x) {
        int[] out = new int[x.length];
        for (int i = 0; i < x.length; i++) {
            if (classes == 2) {
                out[i] = dot(w[0], x[i]) + b[0] > 0 ? 1 : 0;
            } else {
                int best = 0;
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < classes; k++) {
                    double z = dot(w[k], x[i]) + b[k];
                    if (z > max) { // ties to the lower class, as numpy's argmax
                        max = z;
                        best = k;
                    }
                }
                out[i] = best;
            }
        }
        return out;
    }

    public double accuracy(double[][] x, int[] y) {
        return (double) correct(x, y) / y.length;
    }

    /** How many rows are predicted right. */
    public int correct(double[][] x, int[] y) {
        int[] p = predict(x);
        int ok = 0;
        for (int i = 0; i < y.length; i++) {
            ok += p[i] == y[i] ? 1 : 0;
        }
        return ok;
    }

    /** Weights (K', d): one row for two classes. */
    public double[][] weights() {
        return w;
    }

    public double[] intercepts() {
        return b;
    }

    // ---- two classes: Newton with the Woodbury form ----

    static LogisticRegression binary(double[][] x, int[] y, double c, DMatrixRMaj xxt) {
        int n = x.length;
        int d = x[0].length;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = y[i] == 1 ? 1 : -1;
        }
        DMatrixRMaj gram = xxt;
        if (gram == null) {
            DMatrixRMaj xm = new DMatrixRMaj(x);
            gram = new DMatrixRMaj(n, n);
            CommonOps_DDRM.multTransB(xm, xm, gram); // X X^T, once
        }
        double[] w = new double[d];
        double[] bb = {0};
        double f = binaryObjective(x, t, w, 0, c);
        LinearSolverDense<DMatrixRMaj> chol = LinearSolverFactory_DDRM.chol(n);
        for (int iter = 0; iter < 200; iter++) {
            double[] z = margins(x, w, bb[0]);
            double[] gw = w.clone(); // gradient: w - C sum_i t_i s(-t_i z_i) x_i
            double gb = 0;
            double[] h = new double[n]; // C p (1 - p)
            for (int i = 0; i < n; i++) {
                double s = sigmoid(-t[i] * z[i]);
                double coef = -c * t[i] * s;
                axpy(coef, x[i], gw);
                gb += coef;
                h[i] = c * s * (1 - s);
            }
            double gnorm = Math.max(maxAbs(gw), Math.abs(gb));
            if (gnorm < 1e-10) {
                break;
            }
            // M = I + H^1/2 K H^1/2, A^-1 v = v - X^T H^1/2 M^-1 H^1/2 X v
            DMatrixRMaj m = new DMatrixRMaj(n, n);
            double[] sq = new double[n];
            for (int i = 0; i < n; i++) {
                sq[i] = Math.sqrt(h[i]);
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    m.unsafe_set(i, j, sq[i] * gram.unsafe_get(i, j) * sq[j] + (i == j ? 1 : 0));
                }
            }
            if (!chol.setA(m)) {
                throw new NumericalFailureException("logistic regression: the Newton system is not positive definite");
            }
            java.util.function.Function<double[], double[]> ainv = v -> {
                double[] xv = new double[n];
                for (int i = 0; i < n; i++) {
                    xv[i] = sq[i] * dot(x[i], v);
                }
                DMatrixRMaj rhs = new DMatrixRMaj(n, 1, true, xv);
                DMatrixRMaj sol = new DMatrixRMaj(n, 1);
                chol.solve(rhs, sol);
                double[] out = v.clone();
                for (int i = 0; i < n; i++) {
                    axpy(-sq[i] * sol.get(i, 0), x[i], out);
                }
                return out;
            };
            double[] cvec = new double[d]; // X^T H 1
            double s = 0;
            for (int i = 0; i < n; i++) {
                axpy(h[i], x[i], cvec);
                s += h[i];
            }
            double[] aG = ainv.apply(gw);
            double[] aC = ainv.apply(cvec);
            double db = (-gb + dot(cvec, aG)) / (s - dot(cvec, aC));
            double[] dw = new double[d];
            for (int j = 0; j < d; j++) {
                dw[j] = -aG[j] - aC[j] * db;
            }
            // backtracking on the objective
            double slope = dot(gw, dw) + gb * db;
            double step = 1;
            double[] nw = new double[d];
            double nf;
            while (true) {
                for (int j = 0; j < d; j++) {
                    nw[j] = w[j] + step * dw[j];
                }
                nf = binaryObjective(x, t, nw, bb[0] + step * db, c);
                if (nf <= f + 1e-4 * step * slope || step < 1e-12) {
                    break;
                }
                step /= 2;
            }
            boolean stalled = f - nf <= 1e-15 * Math.max(1, Math.abs(f));
            System.arraycopy(nw, 0, w, 0, d);
            bb[0] += step * db;
            f = nf;
            if (stalled) {
                break;
            }
        }
        return new LogisticRegression(new double[][] {w}, bb, 2);
    }

    static double binaryObjective(double[][] x, double[] t, double[] w, double b, double c) {
        double f = 0.5 * dot(w, w);
        for (int i = 0; i < x.length; i++) {
            f += c * softplus(-t[i] * (dot(w, x[i]) + b));
        }
        return f;
    }

    // ---- more classes: multinomial, L-BFGS ----

    static LogisticRegression multinomial(double[][] x, int[] y, int k, double c) {
        int n = x.length;
        int d = x[0].length;
        int dim = k * (d + 1); // per class: d weights then the intercept
        // as matrices: Z = [X 1] Theta^T (n x K), R = C (softmax(Z) - Y), gradient = R^T [X 1] plus Theta's weights
        DMatrixRMaj xa = new DMatrixRMaj(n, d + 1);
        for (int i = 0; i < n; i++) {
            System.arraycopy(x[i], 0, xa.data, i * (d + 1), d);
            xa.data[i * (d + 1) + d] = 1;
        }
        Objective obj = theta -> {
            DMatrixRMaj t = DMatrixRMaj.wrap(k, d + 1, theta);
            DMatrixRMaj z = new DMatrixRMaj(n, k);
            CommonOps_DDRM.multTransB(xa, t, z);
            double f = 0;
            for (int cl = 0; cl < k; cl++) {
                for (int j = 0; j < d; j++) {
                    double v = theta[cl * (d + 1) + j];
                    f += 0.5 * v * v;
                }
            }
            for (int i = 0; i < n; i++) {
                int o = i * k;
                double max = Double.NEGATIVE_INFINITY;
                for (int cl = 0; cl < k; cl++) {
                    max = Math.max(max, z.data[o + cl]);
                }
                double sum = 0;
                for (int cl = 0; cl < k; cl++) {
                    sum += Math.exp(z.data[o + cl] - max);
                }
                double lse = max + Math.log(sum);
                f += c * (lse - z.data[o + y[i]]);
                for (int cl = 0; cl < k; cl++) {
                    z.data[o + cl] = c * (Math.exp(z.data[o + cl] - lse) - (cl == y[i] ? 1 : 0)); // z becomes R
                }
            }
            DMatrixRMaj g = new DMatrixRMaj(k, d + 1);
            CommonOps_DDRM.multTransA(z, xa, g);
            for (int cl = 0; cl < k; cl++) {
                for (int j = 0; j < d; j++) {
                    g.data[cl * (d + 1) + j] += theta[cl * (d + 1) + j];
                }
            }
            return new double[][] {{f}, g.data};
        };
        double[] theta = Lbfgs.minimise(obj, new double[dim], 1e-8, 20_000);
        double[][] w = new double[k][d];
        double[] b = new double[k];
        for (int cl = 0; cl < k; cl++) {
            System.arraycopy(theta, cl * (d + 1), w[cl], 0, d);
            b[cl] = theta[cl * (d + 1) + d];
        }
        return new LogisticRegression(w, b, k);
    }

    /** f(theta) -> {{value}, gradient}. */
    interface Objective {
        double[][] eval(double[] theta);
    }

    /** Limited-memory BFGS (Nocedal and Wright, Alg. 7.4) with a backtracking Armijo search. */
    static final class Lbfgs {
        static double[] minimise(Objective obj, double[] x0, double gtol, int maxIter) {
            int m = 10;
            int dim = x0.length;
            double[] x = x0.clone();
            double[][] fg = obj.eval(x);
            double f = fg[0][0];
            double[] g = fg[1];
            double[][] s = new double[m][];
            double[][] yy = new double[m][];
            double[] rho = new double[m];
            int stored = 0;
            int next = 0;
            for (int iter = 0; iter < maxIter && maxAbs(g) >= gtol; iter++) {
                double[] q = g.clone();
                double[] alpha = new double[m];
                for (int k = 0; k < stored; k++) {
                    int i = Math.floorMod(next - 1 - k, m);
                    alpha[i] = rho[i] * dot(s[i], q);
                    axpy(-alpha[i], yy[i], q);
                }
                double gamma = stored == 0 ? 1 / Math.max(1, Math.sqrt(dot(g, g))) : dot(s[Math.floorMod(next - 1, m)],
                        yy[Math.floorMod(next - 1, m)]) / dot(yy[Math.floorMod(next - 1, m)], yy[Math.floorMod(next - 1, m)]);
                for (int j = 0; j < dim; j++) {
                    q[j] *= gamma;
                }
                for (int k = stored - 1; k >= 0; k--) {
                    int i = Math.floorMod(next - 1 - k, m);
                    double beta = rho[i] * dot(yy[i], q);
                    axpy(alpha[i] - beta, s[i], q);
                }
                double[] dir = q;
                for (int j = 0; j < dim; j++) {
                    dir[j] = -dir[j];
                }
                double slope = dot(g, dir);
                if (slope >= 0) { // not a descent direction: restart from steepest descent
                    stored = 0;
                    dir = g.clone();
                    for (int j = 0; j < dim; j++) {
                        dir[j] = -dir[j] / Math.max(1, Math.sqrt(dot(g, g)));
                    }
                    slope = dot(g, dir);
                }
                double step = 1;
                double[] nx = new double[dim];
                double[][] nfg;
                while (true) {
                    for (int j = 0; j < dim; j++) {
                        nx[j] = x[j] + step * dir[j];
                    }
                    nfg = obj.eval(nx);
                    if (nfg[0][0] <= f + 1e-4 * step * slope || step < 1e-16) {
                        break;
                    }
                    step /= 2;
                }
                double[] sk = new double[dim];
                double[] yk = new double[dim];
                for (int j = 0; j < dim; j++) {
                    sk[j] = nx[j] - x[j];
                    yk[j] = nfg[1][j] - g[j];
                }
                double sy = dot(sk, yk);
                // scipy's L-BFGS-B stopping rule (ftol = 64 eps, as scikit-learn sets it): no relative progress left
                boolean stalled = f - nfg[0][0] <= 64 * Math.ulp(1.0) * Math.max(1, Math.max(Math.abs(f), Math.abs(nfg[0][0])));
                x = nx;
                f = nfg[0][0];
                g = nfg[1];
                if (sy > 1e-12) {
                    s[next] = sk;
                    yy[next] = yk;
                    rho[next] = 1 / sy;
                    next = (next + 1) % m;
                    stored = Math.min(stored + 1, m);
                }
                if (stalled) {
                    break;
                }
            }
            return x;
        }
    }

    // ---- small vector helpers ----

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    static void axpy(double a, double[] x, double[] y) {
        for (int i = 0; i < x.length; i++) {
            y[i] += a * x[i];
        }
    }

    static double maxAbs(double[] v) {
        double m = 0;
        for (double x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

    private static double[] margins(double[][] x, double[] w, double b) {
        double[] z = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            z[i] = dot(w, x[i]) + b;
        }
        return z;
    }

    static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }

    /** log(1 + e^z), stable. */
    static double softplus(double z) {
        return Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
    }

    @Override
    public String toString() {
        return "LogisticRegression(" + classes + " classes, b=" + Arrays.toString(b) + ")";
    }
}
