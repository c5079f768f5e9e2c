package tracelens.ilm;

import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import tracelens.error.NumericalFailureException;

/**
 * L2-regularised logistic regression as scikit-learn's {@code LogisticRegression(C)} defines it, solved to convergence
 * in double precision: objective 1/2 ||W||^2 + C sum_i -log p(y_i | x_i) with unpenalised intercepts; two classes use
 * one weight vector (predict class 1 iff w.x + b > 0), more use the multinomial softmax with one vector per class.
 *
 * <p>Two classes: Newton's method with a backtracking line search, in the span of the samples (see binary), so a step
 * costs one n x n Cholesky and products with X X^T however wide the states are (896 dimensions, 400 samples). More classes: L-BFGS (memory 10) to a gradient norm below 1e-8.
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
            out[i] = predict(x[i]);
        }
        return out;
    }

    /** The class of one row: 1 iff w.x + b > 0 for two classes, else the argmax (ties to the lower class, as numpy). */
    public int predict(double[] x) {
        if (classes == 2) {
            return dot(w[0], x) + b[0] > 0 ? 1 : 0;
        }
        int best = 0;
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < classes; k++) {
            double z = dot(w[k], x) + b[k];
            if (z > max) {
                max = z;
                best = k;
            }
        }
        return best;
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

    // ---- two classes: Newton in the span of the samples ----

    /**
     * Newton with a backtracking line search, in the span of the samples: every iterate has w = X^T alpha (the start
     * w = 0 does, and so does each step below), so margins are K alpha + b with K = X X^T, |w|^2 = alpha^T K alpha,
     * and the d x d Hessian block A = I + X^T H X enters only through A^-1 X^T v = X^T (I + H K)^-1 v, with
     * (I + H K)^-1 = I - S M^-1 S K, S = H^1/2, M = I + S K S (symmetric positive definite, one Cholesky a step).
     * A step costs one n x n Cholesky and a few products with K, whatever d is; X is touched once, for w at the end.
     */
    static LogisticRegression binary(double[][] x, int[] y, double c, DMatrixRMaj xxt) {
        int n = x.length;
        double[] t = signs(y);
        DMatrixRMaj gram = xxt != null ? xxt : Ilm.gram(x); // X X^T, once
        double[] k = gram.data;
        double[] alpha = ridgeStart(k, t, c, n);
        double b = 0;
        double[] z = kTimes(k, alpha, n); // K alpha + b
        double wNorm2 = dot(alpha, z); // alpha^T K alpha
        double f = binaryObjective(z, t, wNorm2, c);
        for (int iter = 0; iter < 200; iter++) {
            double[] gamma = new double[n]; // gradient in w: X^T gamma, gamma = alpha - C t s(-t z)
            double[] h = new double[n]; // C p (1 - p)
            double gb = gradient(t, z, alpha, c, gamma, h);
            double[] kGamma = kTimes(k, gamma, n);
            double gnorm = Math.max(Math.sqrt(Math.max(0, dot(gamma, kGamma))), Math.abs(gb));
            if (gnorm < 1e-10) {
                break;
            }
            double[] sq = sqrt(h);
            Cholesky chol = Cholesky.factor(newtonMatrix(k, sq, n));
            if (chol == null) {
                throw new NumericalFailureException("logistic regression: the Newton system is not positive definite");
            }
            java.util.function.Function<double[], double[]> p = v -> inverseIPlusHK(k, sq, chol, v);
            double[] pGamma = p.apply(gamma);
            double[] pH = p.apply(h);
            double[] kh = kTimes(k, h, n);
            double sumH = sum(h);
            // the intercept by the Schur complement: c = X^T h, c^T A^-1 X^T v = h^T K P v
            double db = (-gb + dot(kh, pGamma)) / (sumH - dot(kh, pH));
            double[] dAlpha = direction(pGamma, pH, db);
            double[] kd = kTimes(k, dAlpha, n);
            double slope = dot(gamma, kd) + gb * db;
            double aKd = dot(alpha, kd);
            double dKd = dot(dAlpha, kd);
            double step = 1;
            double[] nz = new double[n];
            double nf;
            while (true) {
                stepped(z, kd, db, step, nz);
                nf = binaryObjective(nz, t, wNorm2 + 2 * step * aKd + step * step * dKd, c);
                if (nf <= f + 1e-4 * step * slope || step < 1e-12) {
                    break;
                }
                step /= 2;
            }
            boolean stalled = f - nf <= 1e-15 * Math.max(1, Math.abs(f));
            axpy(step, dAlpha, alpha);
            b += step * db;
            z = nz;
            wNorm2 = wNorm2 + 2 * step * aKd + step * step * dKd;
            f = nf;
            if (stalled) {
                break;
            }
        }
        return new LogisticRegression(new double[][] {primal(alpha, x)}, new double[] {b}, 2);
    }

    // binary() has no loop over the samples itself: each is a small method the JIT compiles once, where loops in
    // binary() made it compile binary() again and again from the middle (on-stack replacement), 0.7 s of compile time
    // a run (BENCHMARKS.md).
    private static double[] signs(int[] y) {
        double[] t = new double[y.length];
        for (int i = 0; i < y.length; i++) {
            t[i] = y[i] == 1 ? 1 : -1;
        }
        return t;
    }

    /** Fills gamma (alpha - C t s(-t z)) and h (C s (1 - s)); returns the intercept's gradient. */
    private static double gradient(double[] t, double[] z, double[] alpha, double c, double[] gamma, double[] h) {
        double gb = 0;
        for (int i = 0; i < t.length; i++) {
            double s = sigmoid(-t[i] * z[i]);
            gamma[i] = alpha[i] - c * t[i] * s;
            gb -= c * t[i] * s;
            h[i] = c * s * (1 - s);
        }
        return gb;
    }

    private static double[] sqrt(double[] v) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Math.sqrt(v[i]);
        }
        return out;
    }

    private static double sum(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s;
    }

    private static double[] direction(double[] pGamma, double[] pH, double db) {
        double[] out = new double[pGamma.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = -pGamma[i] - pH[i] * db;
        }
        return out;
    }

    private static void stepped(double[] z, double[] kd, double db, double step, double[] out) {
        for (int i = 0; i < z.length; i++) {
            out[i] = z[i] + step * (kd[i] + db);
        }
    }

    /** w = X^T alpha. */
    private static double[] primal(double[] alpha, double[][] x) {
        double[] w = new double[x[0].length];
        for (int i = 0; i < x.length; i++) {
            axpy(alpha[i], x[i], w);
        }
        return w;
    }

    /**
     * Newton's start: the ridge classifier alpha = (K + I/C)^-1 t, scaled by a 1-D Newton minimisation of the
     * objective along it. The problem is convex, so the optimum is the same from any start; from w = 0 the first
     * steps only grow |w| (the objective falls about threefold a step), and this start saves about four of them for
     * one extra factorisation (11 steps to 7 on the benchmark's layers).
     */
    private static double[] ridgeStart(double[] k, double[] t, double c, int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(k, i * n + i, m[i], i, n - i);
            m[i][i] += 1 / c;
        }
        Cholesky ridge = Cholesky.factor(m);
        if (ridge == null) {
            return new double[n];
        }
        double[] alpha = ridge.solve(t);
        double[] z = kTimes(k, alpha, n);
        double q = dot(alpha, z);
        if (!(q > 0) || !Double.isFinite(q)) {
            return new double[n];
        }
        double scale = 1;
        for (int it = 0; it < 50; it++) { // f(s) = s^2 q / 2 + C sum_i softplus(-s t_i z_i) is convex in s
            double g = scale * q;
            double h = q;
            for (int i = 0; i < n; i++) {
                double margin = t[i] * z[i];
                double sg = sigmoid(-scale * margin);
                g -= c * margin * sg;
                h += c * margin * margin * sg * (1 - sg);
            }
            double step = g / h;
            scale = Math.max(0.1 * scale, scale - step);
            if (Math.abs(step) <= 1e-12 * scale) {
                break;
            }
        }
        for (int i = 0; i < n; i++) {
            alpha[i] *= scale;
        }
        return alpha;
    }

    /** The upper triangle of M = I + S K S (S = diag sq), the one matrix a Newton step factors. */
    private static double[][] newtonMatrix(double[] k, double[] sq, int n) {
        double[][] m = new double[n][n];
        for (int i = 0; i < n; i++) {
            int ri = i * n;
            double si = sq[i];
            double[] mi = m[i];
            for (int j = i; j < n; j++) {
                mi[j] = si * k[ri + j] * sq[j];
            }
            mi[i] += 1;
        }
        return m;
    }

    /** (I + H K)^-1 v = v - S M^-1 S K v, with M = I + S K S factored in chol. */
    private static double[] inverseIPlusHK(double[] k, double[] sq, Cholesky chol, double[] v) {
        int n = v.length;
        double[] kv = kTimes(k, v, n);
        timesEach(kv, sq);
        double[] sol = chol.solve(kv);
        double[] out = v.clone();
        timesEach(sol, sq);
        axpy(-1, sol, out);
        return out;
    }

    /** v_i *= s_i. */
    private static void timesEach(double[] v, double[] s) {
        for (int i = 0; i < v.length; i++) {
            v[i] *= s[i];
        }
    }

    /**
     * K v for the row-major, symmetric n x n K, as the sum of K's rows scaled by v: an a*x + y loop the JIT turns into
     * SIMD instructions, where a dot product per row stays scalar (it was a fifth of an ilm run, BENCHMARKS.md).
     */
    private static double[] kTimes(double[] k, double[] v, int n) {
        double[] out = new double[n];
        for (int j = 0; j < n; j++) {
            if (v[j] != 0) {
                rowAxpy(v[j], k, j * n, out);
            }
        }
        return out;
    }

    private static void rowAxpy(double s, double[] k, int offset, double[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] += s * k[offset + i];
        }
    }

    /** 1/2 |w|^2 + C sum_i softplus(-t_i z_i), from the margins z and |w|^2. */
    static double binaryObjective(double[] z, double[] t, double wNorm2, double c) {
        double f = 0.5 * wNorm2;
        for (int i = 0; i < z.length; i++) {
            f += c * softplus(-t[i] * z[i]);
        }
        return f;
    }

    // ---- more classes: multinomial, L-BFGS ----

    static LogisticRegression multinomial(double[][] x, int[] y, int k, double c) {
        int n = x.length;
        int d = x[0].length;
        int dim = k * (d + 1); // per class: d weights then the intercept
        // as matrices: Z = [X 1] Theta^T (n x K), R = C (softmax(Z) - Y), gradient = R^T [X 1] plus Theta's weights
        int cols = d + 1;
        double[] xd = new double[n * cols]; // [X 1], row-major
        for (int i = 0; i < n; i++) {
            System.arraycopy(x[i], 0, xd, i * cols, d);
            xd[i * cols + d] = 1;
        }
        double[] xt = new double[cols * n]; // [X 1]^T: a column of [X 1] is a contiguous row here
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < cols; j++) {
                xt[j * n + i] = xd[i * cols + j];
            }
        }
        Objective obj = theta -> {
            // Z^T = Theta [X 1]^T and G = R^T [X 1] as long a*x + y loops over separate arrays, which C2 vectorises
            // (EJML's dot-product form does not), four classes at a time so that each row of [X 1] read from the cache
            // serves four of them; each entry sums its terms in the same order as EJML's multTransB and
            // multTransA_reorder did, so the numbers are unchanged
            double[][] zt = new double[k][n];
            int cl = 0;
            for (; cl + 4 <= k; cl += 4) {
                int j = 0;
                for (; j + 4 <= cols; j += 4) {
                    axpy4x4(theta, cl * cols + j, cols, 1, xt, j * n, n, zt[cl], zt[cl + 1], zt[cl + 2], zt[cl + 3], n);
                }
                for (; j < cols; j++) {
                    for (int q = cl; q < cl + 4; q++) {
                        axpyAt(theta[q * cols + j], xt, j * n, zt[q], n);
                    }
                }
            }
            for (; cl < k; cl++) {
                int to = cl * cols;
                int j = 0;
                for (; j + 4 <= cols; j += 4) {
                    axpy4At(theta[to + j], theta[to + j + 1], theta[to + j + 2], theta[to + j + 3], xt, j * n, n, zt[cl], n);
                }
                for (; j < cols; j++) {
                    axpyAt(theta[to + j], xt, j * n, zt[cl], n);
                }
            }
            double[] r = new double[n * k];
            double f = 0;
            for (int q = 0; q < k; q++) {
                for (int j = 0; j < d; j++) {
                    double v = theta[q * cols + j];
                    f += 0.5 * v * v;
                }
            }
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int q = 0; q < k; q++) {
                    max = Math.max(max, zt[q][i]);
                }
                double sum = 0;
                for (int q = 0; q < k; q++) {
                    sum += Math.exp(zt[q][i] - max);
                }
                double lse = max + Math.log(sum);
                f += c * (lse - zt[y[i]][i]);
                for (int q = 0; q < k; q++) {
                    r[i * k + q] = c * (Math.exp(zt[q][i] - lse) - (q == y[i] ? 1 : 0));
                }
            }
            double[][] gc = new double[k][cols];
            for (int q = 0; q < k; q++) { // the first term assigned, as EJML does (so even the sign of a zero agrees)
                double r0 = r[q];
                for (int j = 0; j < cols; j++) {
                    gc[q][j] = r0 * xd[j];
                }
            }
            int i0 = 1 + (n - 1) / 4 * 4; // rows 1..i0-1 in blocks of four, then the rest one at a time
            cl = 0;
            for (; cl + 4 <= k; cl += 4) {
                for (int i = 1; i < i0; i += 4) {
                    axpy4x4(r, i * k + cl, 1, k, xd, i * cols, cols, gc[cl], gc[cl + 1], gc[cl + 2], gc[cl + 3], cols);
                }
            }
            for (; cl < k; cl++) {
                for (int i = 1; i < i0; i += 4) {
                    axpy4At(r[i * k + cl], r[(i + 1) * k + cl], r[(i + 2) * k + cl], r[(i + 3) * k + cl], xd, i * cols, cols, gc[cl], cols);
                }
            }
            for (int i = i0; i < n; i++) {
                for (int q = 0; q < k; q++) {
                    axpyAt(r[i * k + q], xd, i * cols, gc[q], cols);
                }
            }
            double[] g = new double[k * cols];
            for (int q = 0; q < k; q++) {
                for (int j = 0; j < d; j++) {
                    gc[q][j] += theta[q * cols + j];
                }
                System.arraycopy(gc[q], 0, g, q * cols, cols);
            }
            return new double[][] {{f}, g};
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

    /** With four partial sums: a single running sum waits on each addition, and dot products are most of the work. */
    static double dot(double[] a, double[] b) {
        return Cholesky.dot(a, 0, b, a.length);
    }

    /**
     * y += a0 x0 + a1 x1 + a2 x2 + a3 x3 over y[0..len), x_m = x[xOff + m stride ..): evaluated left to right, the same
     * additions in the same order as four calls of {@link #axpyAt}, with y read and written once.
     */
    private static void axpy4At(double a0, double a1, double a2, double a3, double[] x, int xOff, int stride, double[] y, int len) {
        int o1 = xOff + stride;
        int o2 = o1 + stride;
        int o3 = o2 + stride;
        for (int t = 0; t < len; t++) {
            y[t] = y[t] + a0 * x[xOff + t] + a1 * x[o1 + t] + a2 * x[o2 + t] + a3 * x[o3 + t];
        }
    }

    /**
     * Four {@link #axpy4At} at once, for outputs y0..y3 (separate arrays) over the same four rows of x: y_q += sum_m
     * a[aOff + q qStride + m mStride] x_m, each y_q evaluated left to right exactly as axpy4At would, with each x row read
     * once for all four.
     */
    private static void axpy4x4(double[] a, int aOff, int qStride, int mStride, double[] x, int xOff, int stride, double[] y0,
            double[] y1, double[] y2, double[] y3, int len) {
        int q1 = aOff + qStride;
        int q2 = q1 + qStride;
        int q3 = q2 + qStride;
        double a00 = a[aOff], a01 = a[aOff + mStride], a02 = a[aOff + 2 * mStride], a03 = a[aOff + 3 * mStride];
        double a10 = a[q1], a11 = a[q1 + mStride], a12 = a[q1 + 2 * mStride], a13 = a[q1 + 3 * mStride];
        double a20 = a[q2], a21 = a[q2 + mStride], a22 = a[q2 + 2 * mStride], a23 = a[q2 + 3 * mStride];
        double a30 = a[q3], a31 = a[q3 + mStride], a32 = a[q3 + 2 * mStride], a33 = a[q3 + 3 * mStride];
        int o1 = xOff + stride;
        int o2 = o1 + stride;
        int o3 = o2 + stride;
        for (int t = 0; t < len; t++) {
            double x0 = x[xOff + t];
            double x1 = x[o1 + t];
            double x2 = x[o2 + t];
            double x3 = x[o3 + t];
            y0[t] = y0[t] + a00 * x0 + a01 * x1 + a02 * x2 + a03 * x3;
            y1[t] = y1[t] + a10 * x0 + a11 * x1 + a12 * x2 + a13 * x3;
            y2[t] = y2[t] + a20 * x0 + a21 * x1 + a22 * x2 + a23 * x3;
            y3[t] = y3[t] + a30 * x0 + a31 * x1 + a32 * x2 + a33 * x3;
        }
    }

    /** y[0..len) += a * x[xOff..xOff+len) (two arrays). */
    private static void axpyAt(double a, double[] x, int xOff, double[] y, int len) {
        for (int i = 0; i < len; i++) {
            y[i] += a * x[xOff + i];
        }
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
