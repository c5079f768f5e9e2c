package tracelens.sip;

import java.util.ArrayList;
import java.util.List;

/**
 * Classification metrics from logits (N, K) row-major: accuracy (argmax, ties to the lowest index), top-k
 * accuracy, macro-F1 (the unweighted mean over classes present in the labels or predictions of per-class F1, 0
 * where undefined, as scikit-learn's {@code f1_score(average="macro", zero_division=0)}) and the most confused pairs.
 */
public final class Metrics {
    private Metrics() {}

    public static int[] argmax(float[] logits, int k) {
        int n = logits.length / k;
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int c = 1; c < k; c++) {
                if (logits[i * k + c] > logits[i * k + best]) {
                    best = c;
                }
            }
            out[i] = best;
        }
        return out;
    }

    public static double accuracy(float[] logits, int[] y, int k) {
        return topK(logits, y, k, 1);
    }

    /** The label is among the {@code top} largest logits (ties broken by lower index first). */
    public static double topK(float[] logits, int[] y, int k, int top) {
        int hit = 0;
        for (int i = 0; i < y.length; i++) {
            float target = logits[i * k + y[i]];
            int ahead = 0;
            for (int c = 0; c < k; c++) {
                float v = logits[i * k + c];
                if (v > target || (v == target && c < y[i])) {
                    ahead++;
                }
            }
            if (ahead < top) {
                hit++;
            }
        }
        return (double) hit / y.length;
    }

    /**
     * The 95% Wilson score interval of an accuracy {@code p} measured on {@code n} samples: well behaved at 0, 1 and
     * small n, where p ± 1.96 sqrt(p(1-p)/n) leaves [0, 1] or collapses (at 36 held-out samples it is about ±0.16).
     */
    /** Resamples of {@link #macroF1Interval}: enough for a percentile interval stable to about 0.005. */
    public static final int BOOTSTRAP_RESAMPLES = 1000;

    /**
     * The 95% percentile-bootstrap interval of macro-F1: the held-out samples drawn with replacement
     * {@code resamples} times (seeded), macro-F1 of each draw, the 2.5th and 97.5th percentiles (linear
     * interpolation between order statistics, as NumPy's default). Macro-F1 is not a proportion, so Wilson does not
     * apply. NaN when there are no samples.
     */
    public static double[] macroF1Interval(int[] predicted, int[] y, int k, int resamples, long seed) {
        int n = y.length;
        if (n == 0 || resamples < 2) {
            return new double[] {Double.NaN, Double.NaN};
        }
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
        double[] f = new double[resamples];
        int[] p = new int[n];
        int[] t = new int[n];
        for (int b = 0; b < resamples; b++) {
            for (int i = 0; i < n; i++) {
                int j = r.nextInt(n);
                p[i] = predicted[j];
                t[i] = y[j];
            }
            f[b] = macroF1(p, t, k);
        }
        java.util.Arrays.sort(f);
        return new double[] {percentile(f, 0.025), percentile(f, 0.975)};
    }

    /** The q-quantile of sorted values, linear between order statistics (NumPy's default "linear" method). */
    static double percentile(double[] sorted, double q) {
        double h = (sorted.length - 1) * q;
        int lo = (int) Math.floor(h);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }

    public static double[] wilson(double p, int n) {
        if (n <= 0 || !Double.isFinite(p)) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double z = 1.959963984540054;
        double z2n = z * z / n;
        double centre = (p + z2n / 2) / (1 + z2n);
        double half = z / (1 + z2n) * Math.sqrt(p * (1 - p) / n + z2n / (4.0 * n));
        // at p = 0 or 1 the bound is exactly 0 or 1 (rounding would leave 0.9999999999999999)
        return new double[] {p == 0 ? 0 : Math.max(0, centre - half), p == 1 ? 1 : Math.min(1, centre + half)};
    }

    public static double macroF1(int[] predicted, int[] y, int k) {
        long[] tp = new long[k];
        long[] fp = new long[k];
        long[] fn = new long[k];
        boolean[] seen = new boolean[k];
        for (int i = 0; i < y.length; i++) {
            seen[y[i]] = true;
            seen[predicted[i]] = true;
            if (predicted[i] == y[i]) {
                tp[y[i]]++;
            } else {
                fp[predicted[i]]++;
                fn[y[i]]++;
            }
        }
        double sum = 0;
        int classes = 0;
        for (int c = 0; c < k; c++) {
            if (!seen[c]) {
                continue;
            }
            classes++;
            double denom = 2.0 * tp[c] + fp[c] + fn[c];
            sum += denom == 0 ? 0 : 2.0 * tp[c] / denom;
        }
        return sum / classes;
    }

    /**
     * Matthews' correlation coefficient, in Gorodkin's K-class form (equal to the binary MCC for K = 2, as
     * scikit-learn's {@code matthews_corrcoef}): (c s - sum_k p_k t_k) / sqrt((s^2 - sum p_k^2)(s^2 - sum t_k^2)),
     * with c correct, s samples, p_k predicted and t_k true counts of class k. 0 when a denominator factor is 0.
     */
    public static double mcc(int[] predicted, int[] y, int k) {
        long[] p = new long[k];
        long[] t = new long[k];
        long c = 0;
        for (int i = 0; i < y.length; i++) {
            p[predicted[i]]++;
            t[y[i]]++;
            if (predicted[i] == y[i]) {
                c++;
            }
        }
        double s = y.length;
        double pt = 0;
        double pp = 0;
        double tt = 0;
        for (int j = 0; j < k; j++) {
            pt += (double) p[j] * t[j];
            pp += (double) p[j] * p[j];
            tt += (double) t[j] * t[j];
        }
        double den = Math.sqrt((s * s - pp) * (s * s - tt));
        return den == 0 ? 0 : (c * s - pt) / den;
    }

    /** A pair of sources and how many held-out samples of {@code actual} went to {@code predicted}. */
    public record Confusion(int actual, int predicted, int count) {}

    public static List<Confusion> mostConfused(int[] predicted, int[] y, int k, int limit) {
        int[][] m = new int[k][k];
        for (int i = 0; i < y.length; i++) {
            m[y[i]][predicted[i]]++;
        }
        List<Confusion> out = new ArrayList<>();
        for (int a = 0; a < k; a++) {
            for (int p = 0; p < k; p++) {
                if (a != p && m[a][p] > 0) {
                    out.add(new Confusion(a, p, m[a][p]));
                }
            }
        }
        out.sort((u, v) -> v.count() != u.count() ? Integer.compare(v.count(), u.count())
                : u.actual() != v.actual() ? Integer.compare(u.actual(), v.actual()) : Integer.compare(u.predicted(), v.predicted()));
        return out.subList(0, Math.min(limit, out.size()));
    }
}
