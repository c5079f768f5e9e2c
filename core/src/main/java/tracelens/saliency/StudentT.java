package tracelens.saliency;

import org.apache.commons.statistics.distribution.TDistribution;

/**
 * The one-sided two-sample Student t-test with pooled variance that ParchGrad's CLS selection runs (the original calls
 * it "Welch" but passes {@code equal_var=True}): H1 mean(a) > mean(b), p = P(T_{n1+n2-2} >= t); NaN gives p = 1.
 */
public final class StudentT {
    public record Result(double t, double p) {}

    private StudentT() {}

    public static Result greater(double[] a, double[] b) {
        int n1 = a.length;
        int n2 = b.length;
        if (n1 < 1 || n2 < 1 || n1 + n2 < 3) {
            return new Result(Double.NaN, 1);
        }
        double m1 = mean(a);
        double m2 = mean(b);
        double ss = sumSquares(a, m1) + sumSquares(b, m2);
        int df = n1 + n2 - 2;
        double sp2 = ss / df;
        double t = (m1 - m2) / Math.sqrt(sp2 * (1.0 / n1 + 1.0 / n2));
        if (Double.isNaN(t)) {
            return new Result(t, 1);
        }
        return new Result(t, TDistribution.of(df).survivalProbability(t));
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    static double sumSquares(double[] v, double mean) {
        double s = 0;
        for (double x : v) {
            s += (x - mean) * (x - mean);
        }
        return s;
    }
}
