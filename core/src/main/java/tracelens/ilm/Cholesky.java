package tracelens.ilm;

/**
 * The Cholesky factor of a symmetric positive definite matrix, A = U^T U with U upper triangular, for the Newton
 * steps of the ILM probe. Right-looking, on the row-major upper triangle: after row k of U is formed, each later row i
 * is updated by A_i,i.. -= U_ki U_k,i.. , a contiguous a*x + y loop that the JIT turns into SIMD instructions, where
 * the dot products of a left-looking Cholesky stay scalar. Profiling showed the factorisation to be half of an
 * {@code ilm} run (BENCHMARKS.md).
 */
final class Cholesky {
    private final double[][] u; // rows of U, upper triangle used

    private Cholesky(double[][] u) {
        this.u = u;
    }

    /**
     * Factors the n x n matrix with rows {@code a} from its upper triangle, in place; null when not positive definite.
     * Rows are separate arrays on purpose: the update of row i from row k is then a same-index loop that the JIT
     * vectorises, which it does not do for two ranges of one array.
     */
    static Cholesky factor(double[][] a) {
        int n = a.length;
        for (int k = 0; k < n; k++) {
            double[] rk = a[k];
            double pivot = rk[k];
            if (!(pivot > 0)) {
                return null;
            }
            double ukk = Math.sqrt(pivot);
            rk[k] = ukk;
            double inv = 1 / ukk;
            for (int j = k + 1; j < n; j++) {
                rk[j] *= inv;
            }
            for (int i = k + 1; i < n; i++) {
                double uki = rk[i];
                if (uki != 0) {
                    update(a[i], rk, uki, i, n);
                }
            }
        }
        return new Cholesky(a);
    }

    private static void update(double[] ri, double[] rk, double s, int from, int to) {
        for (int j = from; j < to; j++) {
            ri[j] -= s * rk[j];
        }
    }

    /** Solves A x = b. */
    double[] solve(double[] b) {
        int n = u.length;
        double[] x = b.clone();
        for (int k = 0; k < n; k++) { // U^T y = b, row k of U scattered into the later entries
            x[k] /= u[k][k];
            update(x, u[k], x[k], k + 1, n);
        }
        for (int i = n - 1; i >= 0; i--) { // U x = y
            x[i] = (x[i] - dot(u[i], i + 1, x, i + 1, n - i - 1)) / u[i][i];
        }
        return x;
    }

    /** a[off..off+len) . b[0..len) with four partial sums. */
    static double dot(double[] a, int off, double[] b, int len) {
        return dot(a, off, b, 0, len);
    }

    /** a[aOff..aOff+len) . b[bOff..bOff+len) with four partial sums. */
    static double dot(double[] a, int aOff, double[] b, int bOff, int len) {
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int k = 0;
        for (; k + 3 < len; k += 4) {
            s0 += a[aOff + k] * b[bOff + k];
            s1 += a[aOff + k + 1] * b[bOff + k + 1];
            s2 += a[aOff + k + 2] * b[bOff + k + 2];
            s3 += a[aOff + k + 3] * b[bOff + k + 3];
        }
        for (; k < len; k++) {
            s0 += a[aOff + k] * b[bOff + k];
        }
        return (s0 + s1) + (s2 + s3);
    }
}
