package tracelens.ilm;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.ejml.data.DMatrixRMaj;
import tracelens.error.NumericalFailureException;

/**
 * The p largest eigenpairs of a symmetric positive semi-definite n x n matrix, by Lanczos with full
 * re-orthogonalisation: ILM needs 16 of 400, and a full decomposition spends most of its time on the 384 it throws
 * away (EJML's 400 x 400 symmetric eigendecomposition with vectors: about 120 ms; this: about 10 ms).
 *
 * <p>The Krylov basis grows until every wanted Ritz pair has a residual |A y - theta y| (= |beta_m s_m|, free from the
 * tridiagonal problem) below {@code 1e-12 * theta_1}; at m = n the Ritz pairs are the exact eigenpairs, so the loop
 * always ends. A breakdown (an invariant subspace found early, as for a low-rank matrix) restarts with a fresh random
 * direction orthogonal to the basis. The start vector is drawn from a fixed seed, so results are reproducible.
 * Eigenvalues come in decreasing order, eigenvectors with unit norm (their sign is arbitrary, as any solver's).
 */
public final class TopEigen {
    private static final double TOLERANCE = 1e-12;

    public final double[] values; // p, decreasing
    public final double[][] vectors; // p x n, unit rows

    private TopEigen(double[] values, double[][] vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    public static TopEigen of(DMatrixRMaj a, int p) {
        int n = a.numRows;
        if (a.numCols != n || p < 1 || p > n) {
            throw new IllegalArgumentException("TopEigen: " + p + " eigenpairs of a " + a.numRows + " x " + a.numCols + " matrix");
        }
        double[][] q = new double[n][]; // Lanczos vectors
        double[] alpha = new double[n];
        double[] beta = new double[n]; // beta[j] couples q[j] and q[j + 1]
        SplittableRandom random = new SplittableRandom(0x1A2B3C4DL);
        double scale = maxAbsDiagonal(a); // |A| estimate (with the largest Ritz value seen), for the breakdown threshold
        double[][] rows = rowsOf(a);
        q[0] = randomUnit(n, random, q, 0);
        int nextCheck = Math.min(n, Math.max(2 * p + 20, p + 40));
        double[] w = new double[n];
        int lastCheck = 0;
        double lastWorst = 0;
        for (int m = 1; ; m++) {
            int j = m - 1;
            multiply(rows, q[j], w);
            alpha[j] = dot(q[j], w);
            orthogonalise(w, q, j + 1); // subsumes the three-term recurrence
            if (m == nextCheck || m == n) {
                Ritz ritz = ritz(alpha, beta, m, p, false); // values and the vectors' last entries: all a check needs
                double bm = m < n ? Math.sqrt(dot(w, w)) : 0;
                scale = Math.max(scale, Math.abs(ritz.values[0]));
                double worst = worstResidual(ritz, bm, Math.min(p, m), scale); // of a wanted pair, relative to |A|
                boolean converged = worst <= TOLERANCE;
                if (converged && m >= p) {
                    return build(ritz(alpha, beta, m, p, true), q, m, p, n);
                }
                if (m == n) {
                    throw new NumericalFailureException("TopEigen: Lanczos did not converge at full dimension " + n);
                }
                // residuals fall about geometrically with m: from two checks, aim the next at the m that reaches the
                // tolerance (each check solves an m x m eigenproblem, which a check every few steps would repeat)
                int next = m + Math.max(10, m / 4);
                if (lastWorst > 0 && worst > 0 && worst < lastWorst) {
                    double perStep = Math.log(worst / lastWorst) / (m - lastCheck);
                    double needed = m + Math.log(TOLERANCE / worst) / perStep;
                    next = (int) Math.ceil(Math.min(2.0 * m, Math.max(m + 10, 1.05 * needed + 2)));
                }
                lastCheck = m;
                lastWorst = worst;
                nextCheck = Math.min(n, next);
            }
            double b = Math.sqrt(dot(w, w));
            if (b <= 1e-13 * Math.max(scale, Double.MIN_NORMAL)) {
                beta[j] = 0; // invariant subspace: continue in a fresh direction (T decouples there)
                q[m] = randomUnit(n, random, q, m);
            } else {
                beta[j] = b;
                q[m] = divided(w, b);
            }
        }
    }

    // No loop over n in of() itself: each lives in a small method the JIT compiles once, where loops in of() made it
    // compile of() again and again from the middle (on-stack replacement), 0.3 s of compile time a run (BENCHMARKS.md).
    private static double maxAbsDiagonal(DMatrixRMaj a) {
        double scale = 0;
        for (int i = 0; i < a.numRows; i++) {
            scale = Math.max(scale, Math.abs(a.unsafe_get(i, i)));
        }
        return scale;
    }

    private static double[][] rowsOf(DMatrixRMaj a) {
        int n = a.numRows;
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = java.util.Arrays.copyOfRange(a.data, i * n, (i + 1) * n);
        }
        return rows;
    }

    private static double worstResidual(Ritz ritz, double bm, int count, double scale) {
        double worst = 0;
        for (int i = 0; i < count; i++) {
            worst = Math.max(worst, Math.abs(bm * ritz.last[i]) / Math.max(scale, Double.MIN_NORMAL));
        }
        return worst;
    }

    private static double[] divided(double[] w, double b) {
        double[] out = new double[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = w[i] / b;
        }
        return out;
    }

    private record Ritz(double[] values, double[][] s, double[] last) {}

    /**
     * The p largest eigenpairs of the m x m tridiagonal T (fewer if m < p), with each vector's last entry; the whole
     * vectors ({@code s}) only with {@code vectors}: the QL rotations act on each row of the eigenvector matrix alone, so
     * following just its last row costs O(m^2) instead of O(m^3), and gives the same values and last entries.
     */
    private static Ritz ritz(double[] alpha, double[] beta, int m, int p, boolean vectors) {
        double[] d = Arrays.copyOf(alpha, m);
        double[] e = new double[m];
        System.arraycopy(beta, 0, e, 0, m - 1); // e[i] couples i and i + 1; e[m - 1] = 0
        double[][] z = new double[vectors ? m : 1][m];
        if (vectors) {
            for (int i = 0; i < m; i++) {
                z[i][i] = 1;
            }
        } else {
            z[0][m - 1] = 1; // the last row of the identity
        }
        tridiagonalQl(d, e, z);
        int k = Math.min(p, m);
        int[] order = largest(d, k);
        double[] values = new double[k];
        double[][] s = new double[k][];
        double[] last = new double[k];
        for (int i = 0; i < k; i++) {
            int col = order[i];
            values[i] = d[col];
            if (!vectors) {
                last[i] = z[0][col]; // a column of an orthogonal matrix: unit length already
                continue;
            }
            s[i] = new double[m];
            double norm = 0;
            for (int r = 0; r < m; r++) {
                s[i][r] = z[r][col];
                norm += s[i][r] * s[i][r];
            }
            norm = Math.sqrt(norm);
            for (int r = 0; r < m; r++) {
                s[i][r] /= norm;
            }
            last[i] = s[i][m - 1];
        }
        return new Ritz(values, s, last);
    }

    /**
     * The indices of the k largest entries of d, largest first, equal values in index order: the first k of a stable
     * sort by decreasing value, without boxing every index for a comparator (whose sort the JIT compiled three times
     * in a short 'ilm' run).
     */
    static int[] largest(double[] d, int k) {
        int[] top = new int[k];
        int count = 0;
        for (int i = 0; i < d.length; i++) {
            if (count == k && Double.compare(-d[i], -d[top[k - 1]]) >= 0) {
                continue; // not above the k-th largest (equal values keep the earlier index)
            }
            int at = Math.min(count, k - 1);
            while (at > 0 && Double.compare(-d[i], -d[top[at - 1]]) < 0) {
                top[at] = top[at - 1];
                at--;
            }
            top[at] = i;
            count = Math.min(k, count + 1);
        }
        return top;
    }

    /**
     * Eigenvalues and eigenvectors of a symmetric tridiagonal matrix by the QL algorithm with implicit shifts (Press et
     * al., Numerical Recipes, tqli): {@code d} (the diagonal) becomes the eigenvalues, {@code e} (e[i] couples i and i+1,
     * e[n-1] = 0) is destroyed, and {@code z}, the identity on entry, gets the eigenvectors as columns (or any rows of the
     * identity, which become those rows of the eigenvector matrix). Replaces EJML's
     * dense symmetric eigensolver, which tridiagonalised an already tridiagonal matrix first and whose large methods cost
     * JIT time in a short command (BENCHMARKS.md, ILM).
     */
    static void tridiagonalQl(double[] d, double[] e, double[][] z) {
        int n = d.length;
        int rows = z.length;
        for (int l = 0; l < n; l++) {
            int iter = 0;
            int m;
            do {
                for (m = l; m < n - 1; m++) {
                    double dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
                    if (Math.abs(e[m]) <= 0x1p-53 * dd) {
                        break;
                    }
                }
                if (m != l) {
                    if (iter++ == 100) {
                        throw new NumericalFailureException("TopEigen: the " + n + " x " + n + " tridiagonal eigenproblem did not converge");
                    }
                    double g = (d[l + 1] - d[l]) / (2 * e[l]);
                    double r = Math.hypot(g, 1);
                    g = d[m] - d[l] + e[l] / (g + Math.copySign(r, g));
                    double s = 1;
                    double c = 1;
                    double p = 0;
                    int i;
                    for (i = m - 1; i >= l; i--) {
                        double f = s * e[i];
                        double b = c * e[i];
                        r = Math.hypot(f, g);
                        e[i + 1] = r;
                        if (r == 0) { // recover from underflow
                            d[i + 1] -= p;
                            e[m] = 0;
                            break;
                        }
                        s = f / r;
                        c = g / r;
                        g = d[i + 1] - p;
                        r = (d[i] - g) * s + 2 * c * b;
                        p = s * r;
                        d[i + 1] = g + p;
                        g = c * r - b;
                        for (int k = 0; k < rows; k++) {
                            double[] zk = z[k];
                            f = zk[i + 1];
                            zk[i + 1] = s * zk[i] + c * f;
                            zk[i] = c * zk[i] - s * f;
                        }
                    }
                    if (r == 0 && i >= l) {
                        continue;
                    }
                    d[l] -= p;
                    e[l] = g;
                    e[m] = 0;
                }
            } while (m != l);
        }
    }

    private static TopEigen build(Ritz ritz, double[][] q, int m, int p, int n) {
        double[][] vectors = new double[p][n];
        for (int i = 0; i < p; i++) {
            for (int r = 0; r < m; r++) {
                axpy(ritz.s[i][r], q[r], vectors[i]);
            }
            double norm = Math.sqrt(dot(vectors[i], vectors[i]));
            for (int c = 0; c < n; c++) {
                vectors[i][c] /= norm;
            }
        }
        return new TopEigen(ritz.values.clone(), vectors);
    }

    /** A random unit vector orthogonal to q[0..count). */
    private static double[] randomUnit(int n, SplittableRandom random, double[][] q, int count) {
        for (int attempt = 0; attempt < 10; attempt++) {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = random.nextDouble() - 0.5;
            }
            orthogonalise(v, q, count);
            double norm = Math.sqrt(dot(v, v));
            if (norm > 1e-8) {
                for (int i = 0; i < n; i++) {
                    v[i] /= norm;
                }
                return v;
            }
        }
        throw new NumericalFailureException("TopEigen: no direction left orthogonal to " + count + " Lanczos vectors");
    }

    /** Removes from w its components along q[0..count), twice ("twice is enough" for full re-orthogonalisation). */
    private static void orthogonalise(double[] w, double[][] q, int count) {
        for (int pass = 0; pass < 2; pass++) {
            for (int k = 0; k < count; k++) {
                axpy(-dot(q[k], w), q[k], w);
            }
        }
    }

    /** A x for symmetric A as a sum of rows, x_j A_j.: separate row arrays, so the JIT vectorises the sum. */
    private static void multiply(double[][] rows, double[] x, double[] out) {
        java.util.Arrays.fill(out, 0);
        for (int j = 0; j < rows.length; j++) {
            if (x[j] != 0) {
                axpy(x[j], rows[j], out);
            }
        }
    }

    private static double dot(double[] a, double[] b) {
        return LogisticRegression.dot(a, b);
    }

    private static void axpy(double s, double[] x, double[] y) {
        LogisticRegression.axpy(s, x, y);
    }
}
