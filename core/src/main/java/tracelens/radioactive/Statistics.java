package tracelens.radioactive;

import org.apache.commons.numbers.gamma.LogBeta;
import org.apache.commons.numbers.gamma.RegularizedBeta;
import org.apache.commons.numbers.gamma.RegularizedGamma;

/**
 * The p-values of radioactive-data detection (radioactive.md §4, §7), each with its natural logarithm, so that strong
 * marks whose p underflows double still get a finite log10 p:
 * <ul>
 *   <li>the cosine of a random direction with a fixed one in R^d: P(cos >= c) = 1/2 I_{1-c^2}((d-1)/2, 1/2) for
 *       c >= 0, 1 - p(-c) below;</li>
 *   <li>Fisher's combination of k p-values: X = -2 sum ln p_i, P(chi^2_{2k} >= X) = Q(k, X/2) = e^{-X/2} sum_{j<k}
 *       (X/2)^j / j!, summed in log space;</li>
 *   <li>the LM watermark tails: the green-list count S of N tokens, P(Bin(N, gamma) >= S) = I_gamma(S, N - S + 1), and
 *       Aaronson's score sum S of N tokens, Q(N, S).</li>
 * </ul>
 * The regularized incomplete beta and gamma come from Apache Commons Numbers; where they underflow, the logarithm is
 * computed directly from the continued fraction's log prefactor (Lentz's method).
 */
public final class Statistics {
    /** A p-value and its natural logarithm (finite even where p underflows to 0). */
    public record P(double p, double lnP) {
        public double log10() {
            return lnP / Math.log(10);
        }

        static P ofLn(double lnP) {
            return new P(Math.exp(lnP), lnP);
        }
    }

    private Statistics() {}

    /** P(cos >= c) for a uniformly random unit direction against a fixed one in R^d (d >= 2); c is clamped to [-1, 1]. */
    public static P cosine(double c, int d) {
        if (d < 2) {
            throw new IllegalArgumentException("the dimension must be at least 2, found " + d);
        }
        if (Double.isNaN(c)) {
            throw new IllegalArgumentException("the cosine is NaN");
        }
        c = Math.max(-1, Math.min(1, c));
        if (c < 0) {
            P upper = cosine(-c, d);
            double p = 1 - upper.p();
            return new P(p, Math.log1p(-upper.p()));
        }
        double x = 1 - c * c;
        if (x == 0) {
            return new P(0, Double.NEGATIVE_INFINITY);
        }
        double a = (d - 1) / 2.0;
        double half = RegularizedBeta.value(x, a, 0.5);
        if (half > 1e-290) {
            return new P(0.5 * half, Math.log(0.5 * half));
        }
        return P.ofLn(Math.log(0.5) + logRegularizedBeta(x, a, 0.5));
    }

    /** Fisher's method on the natural logarithms of k p-values. */
    public static P fisher(double[] lnP) {
        if (lnP.length == 0) {
            throw new IllegalArgumentException("no p-values to combine");
        }
        double x = 0;
        for (double l : lnP) {
            if (Double.isNaN(l) || l > 0) {
                throw new IllegalArgumentException("ln p must be a number <= 0, found " + l);
            }
            x += -2 * l;
        }
        if (x == Double.POSITIVE_INFINITY) { // a cosine of exactly 1: that class's p is 0, and so is the combination
            return new P(0, Double.NEGATIVE_INFINITY);
        }
        return upperGammaInteger(lnP.length, x / 2);
    }

    /** Fisher's chi-square statistic X = -2 sum ln p. */
    public static double fisherStatistic(double[] lnP) {
        double x = 0;
        for (double l : lnP) {
            x += -2 * l;
        }
        return x;
    }

    /** P(Bin(n, gamma) >= s): the green-list watermark's p-value (1 for s = 0). */
    public static P binomialUpper(int s, int n, double gamma) {
        if (s < 0 || s > n || !(gamma > 0 && gamma < 1)) {
            throw new IllegalArgumentException("need 0 <= s <= n and 0 < gamma < 1, found s " + s + ", n " + n + ", gamma " + gamma);
        }
        if (s == 0) {
            return new P(1, 0);
        }
        double p = RegularizedBeta.value(gamma, s, n - s + 1);
        if (p > 1e-290) {
            return new P(p, Math.log(p));
        }
        return P.ofLn(logRegularizedBeta(gamma, s, n - s + 1));
    }

    /** Q(n, s) = P(Gamma(n, 1) >= s): Aaronson's watermark p-value for the score sum s of n tokens (1 for n = 0). */
    public static P gammaUpper(int n, double s) {
        if (n == 0) {
            return new P(1, 0);
        }
        return upperGammaInteger(n, s);
    }

    /** Q(k, y) = e^{-y} sum_{j<k} y^j / j! for integer k, in log space (log-sum-exp over the terms). */
    static P upperGammaInteger(int k, double y) {
        if (y <= 0) {
            return new P(1, 0);
        }
        double q = RegularizedGamma.Q.value(k, y);
        if (q > 1e-290) {
            return new P(q, Math.log(q));
        }
        double max = Double.NEGATIVE_INFINITY;
        double[] terms = new double[k];
        double lnFact = 0;
        for (int j = 0; j < k; j++) {
            if (j > 0) {
                lnFact += Math.log(j);
            }
            terms[j] = -y + j * Math.log(y) - lnFact;
            max = Math.max(max, terms[j]);
        }
        double sum = 0;
        for (double t : terms) {
            sum += Math.exp(t - max);
        }
        return P.ofLn(max + Math.log(sum));
    }

    /**
     * ln I_x(a, b) for x below the mean (x < (a + 1) / (a + b + 2)), where the continued fraction converges fast:
     * ln(x^a (1 - x)^b / (a B(a, b))) + ln(CF), the CF by the modified Lentz method.
     */
    static double logRegularizedBeta(double x, double a, double b) {
        if (x > (a + 1) / (a + b + 2)) {
            return Math.log1p(-RegularizedBeta.value(1 - x, b, a));
        }
        double lnPrefactor = a * Math.log(x) + b * Math.log1p(-x) - Math.log(a) - LogBeta.value(a, b);
        double tiny = 1e-300;
        double f = 1;
        double c = 1;
        double d = 1 - (a + b) * x / (a + 1);
        d = Math.abs(d) < tiny ? tiny : d;
        d = 1 / d;
        f = d;
        for (int m = 1; m <= 10_000; m++) {
            double m2 = 2.0 * m;
            double num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
            d = 1 + num * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = 1 + num / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            f *= d * c;
            num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
            d = 1 + num * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = 1 + num / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = d * c;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) {
                break;
            }
        }
        return lnPrefactor + Math.log(f);
    }
}
