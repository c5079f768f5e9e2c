package tracelens.ilm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;

/** Lanczos top eigenpairs against EJML's full symmetric eigendecomposition, and the Cholesky solve against EJML's. */
class TopEigenTest {
    /** G = X X^T for n samples of a d-dimensional cloud whose axis scales are {@code scale}(j). */
    static DMatrixRMaj gram(int n, int d, long seed, java.util.function.IntToDoubleFunction scale) {
        Random r = new Random(seed);
        DMatrixRMaj x = new DMatrixRMaj(n, d);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x.set(i, j, r.nextGaussian() * scale.applyAsDouble(j));
            }
        }
        DMatrixRMaj g = new DMatrixRMaj(n, n);
        CommonOps_DDRM.multTransB(x, x, g);
        return g;
    }

    static void assertMatchesFullDecomposition(DMatrixRMaj g, int p) {
        int n = g.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
        assertThat(eig.decompose(g.copy())).isTrue();
        Integer[] order = new Integer[n];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Double.compare(eig.getEigenvalue(b).getReal(), eig.getEigenvalue(a).getReal()));
        TopEigen top = TopEigen.of(g, p);
        double lambda1 = eig.getEigenvalue(order[0]).getReal();
        for (int i = 0; i < p; i++) {
            double want = eig.getEigenvalue(order[i]).getReal();
            assertThat(top.values[i]).as("eigenvalue %d", i).isCloseTo(want, within(1e-10 * lambda1));
            // the residual |G v - lambda v| certifies the vector whatever its sign or a near-degenerate rotation
            double[] gv = new double[n];
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < n; c++) {
                    gv[r] += g.get(r, c) * top.vectors[i][c];
                }
            }
            double res = 0;
            double norm = 0;
            for (int r = 0; r < n; r++) {
                res += Math.pow(gv[r] - top.values[i] * top.vectors[i][r], 2);
                norm += top.vectors[i][r] * top.vectors[i][r];
            }
            assertThat(Math.sqrt(res)).as("residual %d", i).isLessThan(1e-9 * lambda1);
            assertThat(norm).isCloseTo(1, within(1e-12));
            // and where the eigenvalue is well separated, the vector is EJML's up to sign
            double gap = Math.min(i == 0 ? Double.MAX_VALUE : eig.getEigenvalue(order[i - 1]).getReal() - want,
                    i + 1 == n ? Double.MAX_VALUE : want - eig.getEigenvalue(order[i + 1]).getReal());
            if (gap > 1e-3 * lambda1) {
                DMatrixRMaj v = eig.getEigenVector(order[i]);
                double dot = 0;
                double vv = 0;
                for (int r = 0; r < n; r++) {
                    dot += v.get(r) * top.vectors[i][r];
                    vv += v.get(r) * v.get(r);
                }
                assertThat(Math.abs(dot) / Math.sqrt(vv)).as("|cos| with EJML's vector %d", i).isCloseTo(1, within(1e-8));
            }
        }
    }

    @Test
    void flatSpectrumOfGaussianNoise() {
        // the hardest case for Lanczos: 400 x 896 noise has no gap to speak of among its top 16 eigenvalues
        assertMatchesFullDecomposition(gram(400, 896, 1, j -> 1), 16);
    }

    @Test
    void decayingSpectrumAsInLanguageModelStates() {
        assertMatchesFullDecomposition(gram(300, 512, 2, j -> 10 / Math.sqrt(1 + j)), 16);
    }

    @Test
    void lowRankMatrixRestartsAfterBreakdown() {
        // rank 5 < p = 8: Lanczos finds the 5-dimensional range early and must continue in its null space
        assertMatchesFullDecomposition(gram(60, 5, 3, j -> j + 1), 8);
    }

    @Test
    void smallAndFullDimension() {
        assertMatchesFullDecomposition(gram(7, 3, 4, j -> 1), 7);
        assertMatchesFullDecomposition(gram(2, 10, 5, j -> 1), 1);
    }

    /** The k largest, largest first, ties in index order: the first k of a stable sort by decreasing value. */
    @Test
    void largestIsTheHeadOfAStableDescendingSort() {
        Random r = new Random(5);
        for (int trial = 0; trial < 200; trial++) {
            int n = 1 + r.nextInt(40);
            double[] d = new double[n];
            for (int i = 0; i < n; i++) { // few distinct values, signed zeros among them, so that ties are common
                d[i] = switch (r.nextInt(5)) {
                    case 0 -> 0.0;
                    case 1 -> -0.0;
                    default -> r.nextInt(4) - 1.5;
                };
            }
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            Arrays.sort(order, java.util.Comparator.comparingDouble((Integer i) -> -d[i]));
            int k = 1 + r.nextInt(n);
            int[] want = new int[k];
            for (int i = 0; i < k; i++) {
                want[i] = order[i];
            }
            assertThat(TopEigen.largest(d, k)).as("%s, k = %d", Arrays.toString(d), k).containsExactly(want);
        }
    }

    @Test
    void choleskySolvesLikeEjml() {
        DMatrixRMaj g = gram(150, 60, 6, j -> 1);
        for (int i = 0; i < 150; i++) {
            g.add(i, i, 0.5);
        }
        double[][] rows = new double[150][];
        for (int i = 0; i < 150; i++) {
            rows[i] = Arrays.copyOfRange(g.data, i * 150, (i + 1) * 150);
        }
        double[] b = new Random(7).doubles(150).toArray();
        double[] x = Cholesky.factor(rows).solve(b);
        DMatrixRMaj want = new DMatrixRMaj(150, 1);
        assertThat(CommonOps_DDRM.solve(g, new DMatrixRMaj(150, 1, true, b), want)).isTrue();
        for (int i = 0; i < 150; i++) {
            assertThat(x[i]).isCloseTo(want.get(i), within(1e-9 * Math.max(1, Math.abs(want.get(i)))));
        }
        double[][] indefinite = {{1, 2}, {2, 1}};
        assertThat(Cholesky.factor(indefinite)).isNull();
    }

    /**
     * The four-pivot factorisation gives the one-pivot right-looking loop's factor bit for bit (the same subtractions in
     * the same order), on sizes around the block of four, with exact zeros (skipped updates) and on a failing matrix.
     */
    @Test
    void blockedCholeskyEqualsTheOnePivotLoopBitForBit() {
        Random r = new Random(11);
        for (int n : new int[] {1, 2, 3, 4, 5, 7, 8, 9, 13, 64, 101}) {
            for (boolean sparse : new boolean[] {false, true}) {
                DMatrixRMaj g = gram(n, n + 3, (int) r.nextInt(1000), j -> 1);
                for (int i = 0; i < n; i++) {
                    g.add(i, i, 0.5);
                    for (int j = 0; sparse && j < n; j++) {
                        if (i != j && (i * 7 + j * 3) % 5 == 0) {
                            g.set(i, j, 0);
                            g.set(j, i, 0);
                        }
                    }
                    g.add(i, i, sparse ? n : 0); // keeps it positive definite
                }
                double[][] a = new double[n][];
                double[][] b = new double[n][];
                for (int i = 0; i < n; i++) {
                    a[i] = Arrays.copyOfRange(g.data, i * n, (i + 1) * n);
                    b[i] = a[i].clone();
                }
                assertThat(Cholesky.factor(a)).isNotNull();
                assertThat(onePivot(b)).isTrue();
                for (int i = 0; i < n; i++) {
                    for (int j = i; j < n; j++) {
                        assertThat(Double.doubleToRawLongBits(a[i][j])).as("n=%d sparse=%s U[%d][%d]", n, sparse, i, j)
                                .isEqualTo(Double.doubleToRawLongBits(b[i][j]));
                    }
                }
            }
        }
        double[][] late = {{4, 2, 0, 0, 0, 0}, {2, 5, 0, 0, 0, 0}, {0, 0, 1, 0, 0, 0}, {0, 0, 0, 1, 0, 0}, {0, 0, 0, 0, 1, 3}, {0, 0, 0, 0, 3, 1}};
        assertThat(Cholesky.factor(late)).as("indefinite in its second block").isNull();
    }

    /** The right-looking Cholesky one pivot at a time (the loop the blocked one must reproduce). */
    private static boolean onePivot(double[][] a) {
        int n = a.length;
        for (int k = 0; k < n; k++) {
            double[] rk = a[k];
            if (!(rk[k] > 0)) {
                return false;
            }
            double ukk = Math.sqrt(rk[k]);
            rk[k] = ukk;
            double inv = 1 / ukk;
            for (int j = k + 1; j < n; j++) {
                rk[j] *= inv;
            }
            for (int i = k + 1; i < n; i++) {
                double uki = rk[i];
                if (uki != 0) {
                    for (int j = i; j < n; j++) {
                        a[i][j] -= uki * rk[j];
                    }
                }
            }
        }
        return true;
    }

    /** The tridiagonal QL solver against EJML's dense symmetric eigensolver on random tridiagonals, and A v = lambda v. */
    @org.junit.jupiter.api.Test
    void tridiagonalQlMatchesADenseSolver() {
        java.util.Random r = new java.util.Random(3);
        for (int n : new int[] {1, 2, 5, 40, 170}) {
            double[] d = new double[n];
            double[] e = new double[n];
            for (int i = 0; i < n; i++) {
                d[i] = r.nextGaussian() * (i % 7 == 0 ? 100 : 1);
                e[i] = i + 1 < n ? r.nextGaussian() : 0;
            }
            e[Math.max(0, n / 2 - 1)] = n > 2 ? 0 : e[Math.max(0, n / 2 - 1)]; // a split into blocks
            org.ejml.data.DMatrixRMaj a = new org.ejml.data.DMatrixRMaj(n, n);
            for (int i = 0; i < n; i++) {
                a.set(i, i, d[i]);
                if (i + 1 < n) {
                    a.set(i, i + 1, e[i]);
                    a.set(i + 1, i, e[i]);
                }
            }
            var eig = org.ejml.dense.row.factory.DecompositionFactory_DDRM.eig(n, false, true);
            org.assertj.core.api.Assertions.assertThat(eig.decompose(a.copy())).isTrue();
            double[] want = new double[n];
            for (int i = 0; i < n; i++) {
                want[i] = eig.getEigenvalue(i).getReal();
            }
            double[] dd = d.clone();
            double[][] z = new double[n][n];
            for (int i = 0; i < n; i++) {
                z[i][i] = 1;
            }
            TopEigen.tridiagonalQl(dd, e.clone(), z);
            double[] got = dd.clone();
            java.util.Arrays.sort(want);
            java.util.Arrays.sort(got);
            double scale = Math.max(Math.abs(want[0]), Math.abs(want[n - 1]));
            for (int i = 0; i < n; i++) {
                org.assertj.core.api.Assertions.assertThat(got[i]).as("n %d eigenvalue %d", n, i)
                        .isCloseTo(want[i], org.assertj.core.api.Assertions.within(1e-12 * scale));
            }
            for (int j = 0; j < n; j++) { // every column is a unit eigenvector of A
                double norm = 0;
                double residual = 0;
                for (int i = 0; i < n; i++) {
                    norm += z[i][j] * z[i][j];
                    double av = d[i] * z[i][j] + (i > 0 ? e[i - 1] * z[i - 1][j] : 0) + (i + 1 < n ? e[i] * z[i + 1][j] : 0);
                    residual = Math.max(residual, Math.abs(av - dd[j] * z[i][j]));
                }
                org.assertj.core.api.Assertions.assertThat(norm).isCloseTo(1, org.assertj.core.api.Assertions.within(1e-12));
                org.assertj.core.api.Assertions.assertThat(residual).as("n %d vector %d", n, j).isLessThan(1e-12 * scale);
            }
        }
    }
}
