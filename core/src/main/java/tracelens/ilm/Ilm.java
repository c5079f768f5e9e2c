package tracelens.ilm;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import org.ejml.data.DMatrixRMaj;
import tracelens.error.InvalidInputException;

/**
 * The ILM per-layer effect, exactly as pifi_ilm.md §3 ("legacy PC patching", PIFI-ILM e2c8cab): for the pooled states X
 * (n x d) of a layer and labels y, take the top {@code nPcs} principal components of X - mean, the {@code topPc} of them
 * most correlated with the label (|Pearson| with y for two classes, else the largest one-vs-rest |Pearson|; ties to the
 * lower index), and R, the projection of X - mean onto their span. An L2 logistic probe (C = 1) is fitted on X and
 * scored on X (acc0) and on X - lambda R for each lambda (acc1); the effect is max over lambda of max(0, acc0 - acc1).
 * The best layer is the argmax, ties to the first.
 *
 * <p>PCA is exact (to 1e-12, see {@link TopEigen}): the top eigenvectors v_j of the n x n Gram matrix of X - mean give the scores sigma_j v_j (for the
 * correlations) and the components U_j = (X - mean)^T v_j / sigma_j, whatever d is.
 */
public final class Ilm {
    public record Options(int nPcs, int topPc, double[] lambdas, double c) {
        public Options {
            if (nPcs < 1) {
                throw InvalidInputException.field("n_pcs", " must be at least 1, found " + nPcs);
            }
            if (topPc < 1 || topPc > nPcs) {
                throw InvalidInputException.field("top_pc", " must be in 1.." + nPcs + " (n_pcs), found " + topPc);
            }
        }

        /** The spec's defaults: 16 components, the 5 most label-correlated, lambda in {0.5, 1.0}, C = 1. */
        public static Options defaults() {
            return new Options(16, 5, new double[] {0.5, 1.0}, 1.0);
        }
    }

    /** One layer: the effect, the probe's accuracy on X and per lambda on the counterfactual, the chosen components. */
    public record Layer(int layer, double effect, double acc0, double[] counterfactualAccuracy, int[] components, double[] correlations) {}

    public record Result(List<Layer> layers, int bestLayer) {
        public double[] effects() {
            return layers.stream().mapToDouble(Layer::effect).toArray();
        }
    }

    private Ilm() {}

    /** Effects for every layer's states {@code xs[l]} (n x d, rows aligned with y). */
    public static Result run(List<float[][]> xs, int[] y, Options o) {
        return run(xs, y, o, 1, tracelens.progress.Progress.NONE);
    }

    /** With {@code stride} > 1 only layers l with l mod stride = 0 are scored; the others get effect 0, as the original. */
    public static Result run(List<float[][]> xs, int[] y, Options o, int stride, tracelens.progress.Progress progress) {
        if (stride < 1) {
            throw InvalidInputException.field("stride", " must be at least 1, found " + stride);
        }
        int[] labels = relabel(y);
        List<Layer> out = new ArrayList<>();
        progress.start("ILM effects", xs.size());
        try {
            // layers are independent: score them on every core (progress is reported from this thread, in order)
            int threads = Math.max(1, Math.min(xs.size(), Runtime.getRuntime().availableProcessors()));
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, "ilm");
                t.setDaemon(true);
                return t;
            });
            try {
                List<java.util.concurrent.Future<Layer>> jobs = new ArrayList<>();
                for (int l = 0; l < xs.size(); l++) {
                    int index = l;
                    jobs.add(l % stride == 0 ? pool.submit(() -> layer(index, tracelens.geometry.Points.toDouble(xs.get(index)), labels, o))
                            : java.util.concurrent.CompletableFuture.completedFuture(
                                    new Layer(l, 0, Double.NaN, new double[0], new int[0], new double[0])));
                }
                for (var job : jobs) {
                    try {
                        out.add(job.get());
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                    progress.advance(1);
                }
            } finally {
                pool.shutdownNow();
            }
        } finally {
            progress.end();
        }
        int best = 0;
        for (int l = 1; l < out.size(); l++) {
            if (out.get(l).effect() > out.get(best).effect()) {
                best = l;
            }
        }
        return new Result(out, best);
    }

    /**
     * Starts scoring a few small random layers on a daemon thread, so that the JIT compiles the numeric kernels while
     * the caller is still reading its input on the other core (a JVM start and the input's reading leave it idle for
     * a few tenths of a second); the results are thrown away.
     */
    public static Thread warmUp() {
        Thread t = new Thread(() -> {
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            int n = 96;
            int d = 160;
            int[] y = new int[n];
            for (int rep = 0; rep < 4; rep++) {
                double[][] x = new double[n][d];
                for (int i = 0; i < n; i++) {
                    y[i] = i % 2;
                    for (int j = 0; j < d; j++) {
                        x[i][j] = r.nextGaussian() + (j < 4 ? y[i] : 0);
                    }
                }
                layer(-1, x, y, Options.defaults());
            }
        }, "ilm-warm-up");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Labels as 0..K-1 in sorted order of their values; a single class is an error. */
    static int[] relabel(int[] y) {
        TreeSet<Integer> distinct = new TreeSet<>();
        for (int v : y) {
            distinct.add(v);
        }
        if (distinct.size() < 2) {
            throw InvalidInputException.field("labels", " have a single class (" + distinct + "): ILM needs at least two");
        }
        int[] map = distinct.stream().mapToInt(Integer::intValue).toArray();
        int[] out = new int[y.length];
        for (int i = 0; i < y.length; i++) {
            out[i] = Arrays.binarySearch(map, y[i]);
        }
        return out;
    }

    // Ilm.layer is split into small methods, one loop nest each: the JIT then compiles each once, where one long
    // method was recompiled at every hot loop (on-stack replacement), 1.5 s of compile time per run (BENCHMARKS.md).
    static Layer layer(int index, double[][] x, int[] y, Options o) {
        int n = x.length;
        if (n < o.nPcs()) {
            throw InvalidInputException.field("n_pcs", " " + o.nPcs() + " exceeds the " + n + " samples");
        }
        int classes = 0;
        for (int v : y) {
            classes = Math.max(classes, v + 1);
        }
        double[] mu = mean(x);
        double[][] xc = minus(x, mu); // X - mean
        // PCA through the Gram matrix: G = Xc Xc^T = V diag(sigma^2) V^T, scores S_j = sigma_j v_j. G comes from the raw
        // K = X X^T (which the probe needs too): G = K - v 1^T - 1 v^T + |mu|^2 with v = X mu
        DMatrixRMaj xxt = gram(x);
        DMatrixRMaj gram = centred(xxt, x, mu);
        int p = o.nPcs();
        TopEigen eig = TopEigen.of(gram, p); // only the p components used: see TopEigen for the cost of all n
        double[][] v = eig.vectors;
        double[][] scores = new double[p][];
        double[] r = new double[p];
        for (int j = 0; j < p; j++) {
            scores[j] = scaled(v[j], Math.sqrt(Math.max(0, eig.values[j])));
            r[j] = labelCorrelation(scores[j], y, classes);
        }
        int k = Math.max(1, Math.min(o.topPc(), p));
        Integer[] byR = new Integer[p];
        for (int j = 0; j < p; j++) {
            byR[j] = j;
        }
        Arrays.sort(byR, Comparator.comparingDouble((Integer j) -> -r[j])); // stable: ties keep the lower index
        int[] chosen = new int[k];
        for (int j = 0; j < k; j++) {
            chosen[j] = byR[j];
        }
        double[][] proj = projection(xc, v, chosen);
        LogisticRegression probe = LogisticRegression.fit(x, y, Math.max(classes, 2), o.c(), xxt);
        int correct0 = probe.correct(x, y);
        double acc0 = (double) correct0 / n;
        int drop = 0; // in samples, so that the effect is an exact multiple of 1/n
        double[] acc1 = new double[o.lambdas().length];
        for (int li = 0; li < o.lambdas().length; li++) {
            int correct1 = counterfactualCorrect(probe, x, proj, o.lambdas()[li], y);
            acc1[li] = (double) correct1 / n;
            drop = Math.max(drop, correct0 - correct1);
        }
        double effect = (double) drop / n;
        return new Layer(index, effect, acc0, acc1, chosen, r);
    }

    private static double[] mean(double[][] x) {
        int d = x[0].length;
        double[] mu = new double[d];
        for (double[] row : x) {
            LogisticRegression.axpy(1, row, mu);
        }
        for (int j = 0; j < d; j++) {
            mu[j] /= x.length;
        }
        return mu;
    }

    private static double[][] minus(double[][] x, double[] mu) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i].clone();
            LogisticRegression.axpy(-1, mu, out[i]);
        }
        return out;
    }

    /** G = K - v 1^T - 1 v^T + |mu|^2 with v = X mu: the Gram matrix of X - mean from K = X X^T. */
    private static DMatrixRMaj centred(DMatrixRMaj xxt, double[][] x, double[] mu) {
        int n = x.length;
        double[] xmu = new double[n];
        for (int i = 0; i < n; i++) {
            xmu[i] = LogisticRegression.dot(x[i], mu);
        }
        double mu2 = LogisticRegression.dot(mu, mu);
        DMatrixRMaj gram = new DMatrixRMaj(n, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                gram.unsafe_set(i, j, xxt.unsafe_get(i, j) - xmu[i] - xmu[j] + mu2);
            }
        }
        return gram;
    }

    private static double[] scaled(double[] v, double s) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = s * v[i];
        }
        return out;
    }

    /** |Pearson| with the label for two classes, else the largest one-vs-rest |Pearson|. */
    private static double labelCorrelation(double[] score, int[] y, int classes) {
        int n = y.length;
        if (classes <= 2) {
            double[] t = new double[n];
            for (int i = 0; i < n; i++) {
                t[i] = y[i];
            }
            return Math.abs(pearson(score, t));
        }
        double r = 0;
        for (int c = 0; c < classes; c++) {
            double[] t = new double[n];
            for (int i = 0; i < n; i++) {
                t[i] = y[i] == c ? 1 : 0;
            }
            r = Math.max(r, Math.abs(pearson(score, t)));
        }
        return r;
    }

    /**
     * R = S_J U_J with the unit components U_j = Xc^T v_j / |Xc^T v_j| and scores S_j = Xc U_j, as the original
     * computes it: a component along a coordinate axis comes out exactly as that axis, so suppressing it zeroes the
     * coordinate exactly (the spec's twin example depends on it).
     */
    private static double[][] projection(double[][] xc, double[][] v, int[] chosen) {
        int n = xc.length;
        int d = xc[0].length;
        double[][] proj = new double[n][d];
        for (int jj : chosen) {
            double[] u = new double[d];
            for (int i = 0; i < n; i++) {
                LogisticRegression.axpy(v[jj][i], xc[i], u);
            }
            double norm = Math.sqrt(LogisticRegression.dot(u, u));
            if (norm < 1e-300) {
                continue; // a component of zero variance: nothing to suppress
            }
            for (int j = 0; j < d; j++) {
                u[j] /= norm;
            }
            for (int i = 0; i < n; i++) {
                LogisticRegression.axpy(LogisticRegression.dot(xc[i], u), u, proj[i]);
            }
        }
        return proj;
    }

    /** How many counterfactual rows x_i - lambda R_i the probe still gets right, one row at a time. */
    private static int counterfactualCorrect(LogisticRegression probe, double[][] x, double[][] proj, double lambda, int[] y) {
        double[] row = new double[x[0].length];
        int correct = 0;
        for (int i = 0; i < x.length; i++) {
            counterfactual(x[i], proj[i], lambda, row);
            correct += probe.predict(row) == y[i] ? 1 : 0;
        }
        return correct;
    }

    /** row = x - lambda p (a method of its own, so that the caller's loop is not compiled again around it). */
    private static void counterfactual(double[] x, double[] p, double lambda, double[] row) {
        for (int j = 0; j < row.length; j++) {
            row[j] = x[j] - lambda * p[j];
        }
    }

    /**
     * X X^T in float64, in Java: the upper triangle four rows at a time as axpys over the rows of X^T (a loop C2
     * vectorises; X^T's rows are read once per four output rows), then mirrored. 17-25 ms for 400 x 896 on one core,
     * as fast as the engine's BLAS was here, and ILM on an activation file then never loads the engine (0.5 s of a
     * core at start-up, BENCHMARKS.md). Each entry sums its d products in order, as a plain dot product does.
     */
    static DMatrixRMaj gram(double[][] x) {
        int n = x.length;
        int d = x[0].length;
        double[][] xt = transpose(x);
        double[] out = new double[n * n];
        double[][] r = new double[4][n];
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            for (double[] row : r) {
                Arrays.fill(row, 0);
            }
            gramRows(xt, x[i], x[i + 1], x[i + 2], x[i + 3], r[0], r[1], r[2], r[3], i);
            for (int q = 0; q < 4; q++) {
                System.arraycopy(r[q], i, out, (i + q) * n + i, n - i);
            }
        }
        for (; i < n; i++) { // the last n mod 4 rows, summed in the same order
            for (int j = i; j < n; j++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += x[i][k] * x[j][k];
                }
                out[i * n + j] = s;
            }
        }
        mirror(out, n);
        return new DMatrixRMaj(n, n, true, out);
    }

    // the transpose and the mirror are methods of their own: inside gram() each loop was compiled again with gram()
    // from its middle (on-stack replacement), about 0.1 s of compile time a run

    private static double[][] transpose(double[][] x) {
        int n = x.length;
        int d = x[0].length;
        double[][] xt = new double[d][n];
        for (int i = 0; i < n; i++) {
            column(x[i], xt, i);
        }
        return xt;
    }

    private static void column(double[] row, double[][] xt, int i) {
        for (int k = 0; k < row.length; k++) {
            xt[k][i] = row[k];
        }
    }

    /** The lower triangle of the row-major n x n {@code out} from its upper triangle. */
    private static void mirror(double[] out, int n) {
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < a; b++) {
                out[a * n + b] = out[b * n + a];
            }
        }
    }

    /** r_q[j] = x_q . x_j for j >= from, q = 0..3. */
    private static void gramRows(double[][] xt, double[] x0, double[] x1, double[] x2, double[] x3, double[] r0, double[] r1,
            double[] r2, double[] r3, int from) {
        int n = r0.length;
        for (int k = 0; k < xt.length; k++) {
            double a0 = x0[k];
            double a1 = x1[k];
            double a2 = x2[k];
            double a3 = x3[k];
            double[] v = xt[k];
            for (int j = from; j < n; j++) {
                double vj = v[j];
                r0[j] += a0 * vj;
                r1[j] += a1 * vj;
                r2[j] += a2 * vj;
                r3[j] += a3 * vj;
            }
        }
    }

    /** Pearson correlation with population standard deviations; 0 when either is below 1e-8. */
    static double pearson(double[] a, double[] b) {
        int n = a.length;
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < n; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= n;
        mb /= n;
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < n; i++) {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        double sa = Math.sqrt(saa / n);
        double sb = Math.sqrt(sbb / n);
        if (sa < 1e-8 || sb < 1e-8) {
            return 0;
        }
        return sab / n / (sa * sb);
    }

}
