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
        int k = 0;
        // four pivot rows at a time: the rows below them are then read and written once per four pivots instead of once
        // per pivot (the update is memory-bound). Every entry still receives the same subtractions in the same order
        // as the one-pivot loop (k, then k+1, ...), so the factor is the same to the last bit.
        for (; k + 4 <= n; k += 4) {
            for (int p = k; p < k + 4; p++) { // the four pivot rows, among themselves, one pivot at a time
                if (!pivot(a[p], p, n)) {
                    return null;
                }
                for (int i = p + 1; i < k + 4; i++) {
                    double upi = a[p][i];
                    if (upi != 0) {
                        update(a[i], a[p], upi, i, n);
                    }
                }
            }
            double[] r0 = a[k];
            double[] r1 = a[k + 1];
            double[] r2 = a[k + 2];
            double[] r3 = a[k + 3];
            for (int i = k + 4; i < n; i++) {
                update4(a[i], r0, r1, r2, r3, r0[i], r1[i], r2[i], r3[i], i, n);
            }
        }
        for (; k < n; k++) {
            if (!pivot(a[k], k, n)) {
                return null;
            }
            double[] rk = a[k];
            for (int i = k + 1; i < n; i++) {
                double uki = rk[i];
                if (uki != 0) {
                    update(a[i], rk, uki, i, n);
                }
            }
        }
        return new Cholesky(a);
    }

    /** Row k of U from the updated row k of A: the square root of the pivot, then the row divided by it. */
    private static boolean pivot(double[] rk, int k, int n) {
        double pivot = rk[k];
        if (!(pivot > 0)) {
            return false;
        }
        double ukk = Math.sqrt(pivot);
        rk[k] = ukk;
        double inv = 1 / ukk;
        for (int j = k + 1; j < n; j++) {
            rk[j] *= inv;
        }
        return true;
    }

    /** ri -= s0 r0, then s1 r1, s2 r2, s3 r3, entry by entry; a zero factor is skipped, as the one-pivot loop skips it. */
    private static void update4(double[] ri, double[] r0, double[] r1, double[] r2, double[] r3, double s0, double s1, double s2,
            double s3, int from, int to) {
        if (s0 == 0 || s1 == 0 || s2 == 0 || s3 == 0) { // rare (sparse rows): one pivot at a time, skipping zeros
            if (s0 != 0) {
                update(ri, r0, s0, from, to);
            }
            if (s1 != 0) {
                update(ri, r1, s1, from, to);
            }
            if (s2 != 0) {
                update(ri, r2, s2, from, to);
            }
            if (s3 != 0) {
                update(ri, r3, s3, from, to);
            }
            return;
        }
        for (int j = from; j < to; j++) {
            ri[j] = ri[j] - s0 * r0[j] - s1 * r1[j] - s2 * r2[j] - s3 * r3[j];
        }
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
