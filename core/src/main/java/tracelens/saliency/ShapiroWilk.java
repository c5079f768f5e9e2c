package tracelens.saliency;

import java.util.Arrays;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * The Shapiro-Wilk test of normality by Royston's approximation (Applied Statistics algorithm AS R94, 1995), the
 * algorithm behind SciPy's {@code scipy.stats.shapiro}: coefficients from normal scores (AS 111's {@code ppnd}) with
 * Royston's polynomial corrections for the two extreme ones, W as the squared correlation of the ordered sample with
 * them, and the p-value from Royston's normalising transformation (n = 3 exact; 4-11 and 12+ polynomial fits).
 */
public final class ShapiroWilk {
    private static final double[] C1 = {0.0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056};
    private static final double[] C2 = {0.0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633};
    private static final double[] C3 = {0.544, -0.39978, 0.025054, -6.714e-4};
    private static final double[] C4 = {1.3822, -0.77857, 0.062767, -0.0020322};
    private static final double[] C5 = {-1.5861, -0.31082, -0.083751, 0.0038915};
    private static final double[] C6 = {-0.4803, -0.082676, 0.0030302};
    private static final double[] G = {-2.273, 0.459};
    private static final NormalDistribution NORMAL = NormalDistribution.of(0, 1);

    /** W and its p-value. */
    public record Result(double w, double p) {}

    private ShapiroWilk() {}

    /** The test of {@code data} (n >= 3); identical values give W = 1, p = 1 (as SciPy reports them). */
    public static Result test(double[] data) {
        int n = data.length;
        if (n < 3) {
            throw new IllegalArgumentException("Shapiro-Wilk needs at least 3 values, found " + n);
        }
        double[] x = data.clone();
        Arrays.sort(x);
        double range = x[n - 1] - x[0];
        if (!(range > 1e-19 * Math.max(1, Math.abs(x[0])))) {
            return new Result(1, 1);
        }
        double[] a = coefficients(n);
        // W = (sum a_i (x_(n+1-i) - x_(i)))^2 / sum (x - mean)^2, on x / range as the algorithm scales it
        double num = 0;
        for (int i = 0; i < n / 2; i++) {
            num += a[i] * (x[n - 1 - i] - x[i]) / range;
        }
        double mean = 0;
        for (double v : x) {
            mean += v / range;
        }
        mean /= n;
        double ss = 0;
        for (double v : x) {
            ss += (v / range - mean) * (v / range - mean);
        }
        double w = Math.min(1, num * num / ss);
        return new Result(w, pValue(w, n));
    }

    /** a_1 .. a_{n/2}, positive, with sum over the full antisymmetric vector of a^2 equal to 1. */
    static double[] coefficients(int n) {
        int n2 = n / 2;
        double[] a = new double[n2];
        if (n == 3) {
            a[0] = Math.sqrt(0.5);
            return a;
        }
        double an25 = n + 0.25;
        double[] m = new double[n2];
        double summ2 = 0;
        for (int i = 0; i < n2; i++) {
            m[i] = ppnd((i + 1 - 0.375) / an25);
            summ2 += m[i] * m[i];
        }
        summ2 *= 2;
        double ssumm2 = Math.sqrt(summ2);
        double rsn = 1 / Math.sqrt(n);
        double a1 = poly(C1, 6, rsn) - m[0] / ssumm2;
        int first;
        double fac;
        if (n > 5) {
            first = 2;
            double a2 = -m[1] / ssumm2 + poly(C2, 6, rsn);
            fac = Math.sqrt((summ2 - 2 * m[0] * m[0] - 2 * m[1] * m[1]) / (1 - 2 * a1 * a1 - 2 * a2 * a2));
            a[1] = a2;
        } else {
            first = 1;
            fac = Math.sqrt((summ2 - 2 * m[0] * m[0]) / (1 - 2 * a1 * a1));
        }
        a[0] = a1;
        for (int i = first; i < n2; i++) {
            a[i] = -m[i] / fac;
        }
        return a;
    }

    static double pValue(double w, int n) {
        if (n == 3) {
            double pw = 6 / Math.PI * (Math.asin(Math.sqrt(w)) - Math.PI / 3);
            return Math.max(pw, 0);
        }
        double w1 = Math.log(1 - w);
        double m;
        double s;
        if (n <= 11) {
            double gamma = poly(G, 2, n);
            if (w1 >= gamma) {
                return 1e-99;
            }
            w1 = -Math.log(gamma - w1);
            m = poly(C3, 4, n);
            s = Math.exp(poly(C4, 4, n));
        } else {
            double xx = Math.log(n);
            m = poly(C5, 4, xx);
            s = Math.exp(poly(C6, 3, xx));
        }
        return NORMAL.survivalProbability((w1 - m) / s);
    }

    /** cc[0] + cc[1] x + ... + cc[nord - 1] x^(nord - 1), evaluated as AS R94's poly. */
    static double poly(double[] cc, int nord, double x) {
        double ret = cc[0];
        if (nord > 1) {
            double p = x * cc[nord - 1];
            for (int j = nord - 2; j > 0; j--) {
                p = (p + cc[j]) * x;
            }
            ret += p;
        }
        return ret;
    }

    /** The normal quantile by Beasley and Springer's AS 111 (accurate to about 1e-7), as AS R94 uses it. */
    static double ppnd(double p) {
        double q = p - 0.5;
        if (Math.abs(q) <= 0.42) {
            double r = q * q;
            return q * (((-25.44106049637 * r + 41.39119773534) * r - 18.61500062529) * r + 2.50662823884)
                    / ((((3.13082909833 * r - 21.06224101826) * r + 23.08336743743) * r - 8.47351093090) * r + 1);
        }
        double r = q > 0 ? 1 - p : p;
        r = Math.sqrt(-Math.log(r));
        double v = (((2.32121276858 * r + 4.85014127135) * r - 2.29796479134) * r - 2.78718931138)
                / ((1.63706781897 * r + 3.54388924762) * r + 1);
        return q < 0 ? -v : v;
    }
}
