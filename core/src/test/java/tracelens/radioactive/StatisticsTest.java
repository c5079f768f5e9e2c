package tracelens.radioactive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** radioactive.md §4 and §7: analytic cases, the worked numbers, tails summed directly, Monte Carlo. */
class StatisticsTest {
    @Test
    void cosinePValueHasItsClosedForms() {
        for (double c : new double[] {-0.9, -0.3, 0, 0.2, 0.7, 0.99}) {
            assertThat(Statistics.cosine(c, 2).p()).as("d = 2, c %s", c).isCloseTo(Math.acos(c) / Math.PI, within(1e-13));
            assertThat(Statistics.cosine(c, 3).p()).as("d = 3, c %s", c).isCloseTo((1 - c) / 2, within(1e-13));
            assertThat(Statistics.cosine(c, 7).p() + Statistics.cosine(-c, 7).p()).as("symmetry").isCloseTo(1, within(1e-14));
        }
        for (int d : new int[] {2, 10, 512}) {
            assertThat(Statistics.cosine(0, d).p()).isCloseTo(0.5, within(1e-14));
        }
        double prev = 1.1;
        for (double c = -1; c <= 1; c += 0.05) {
            double p = Statistics.cosine(c, 64).p();
            assertThat(p).as("decreasing in c at %s", c).isLessThanOrEqualTo(prev);
            prev = p;
        }
    }

    @Test
    void theSpecsWorkedNumbers() {
        assertThat(Statistics.cosine(0.1, 512).p()).isCloseTo(0.011753101770860912, within(1e-12 * 0.011753101770860912));
        double[] p = {0.01, 0.2, 0.5, 0.9};
        double[] ln = new double[p.length];
        for (int i = 0; i < p.length; i++) {
            ln[i] = Math.log(p[i]);
        }
        assertThat(Statistics.fisherStatistic(ln)).isCloseTo(14.026231589279925, within(1e-12));
        assertThat(Statistics.fisher(ln).p()).isCloseTo(0.0810842566183023, within(1e-12 * 0.081));
    }

    /** Strong marks: p underflows double, log10 p stays finite and consistent. */
    @Test
    void tinyPValuesKeepAFiniteLogarithm() {
        Statistics.P strong = Statistics.cosine(0.9, 2048);
        assertThat(strong.p()).isEqualTo(0.0);
        assertThat(strong.lnP()).isFinite().isLessThan(-700);
        // continuity across the switch to the log-space path: ln p from the two routes agree where both work
        Statistics.P mid = Statistics.cosine(0.5, 300);
        assertThat(Statistics.logRegularizedBeta(1 - 0.25, 149.5, 0.5) + Math.log(0.5)).isCloseTo(mid.lnP(), within(1e-9 * Math.abs(mid.lnP())));
        double[] many = new double[1000];
        java.util.Arrays.fill(many, -800);
        Statistics.P combined = Statistics.fisher(many);
        assertThat(combined.lnP()).isFinite().isLessThan(-700_000);
        assertThat(combined.log10()).isFinite();
    }

    /** P(Bin(N, gamma) >= S) equals the tail summed term by term; Q(N, S) equals its finite series. */
    @Test
    void watermarkTailsEqualTheirDirectSums() {
        for (double gamma : new double[] {0.25, 0.5}) {
            for (int n = 1; n <= 200; n += 13) {
                for (int s = 0; s <= n; s += Math.max(1, n / 7)) {
                    double direct = 0;
                    for (int k = s; k <= n; k++) {
                        direct += Math.exp(lnChoose(n, k) + k * Math.log(gamma) + (n - k) * Math.log1p(-gamma));
                    }
                    double p = Statistics.binomialUpper(s, n, gamma).p();
                    assertThat(p).as("N %d S %d gamma %s", n, s, gamma).isCloseTo(direct, within(1e-12 * direct + 1e-300));
                }
            }
        }
        assertThat(Statistics.binomialUpper(10, 10, 0.25).p()).isCloseTo(Math.pow(0.25, 10), within(1e-20));
        for (int n = 1; n <= 200; n += 17) {
            for (double f : new double[] {0.5, 1, 1.5}) {
                double s = f * n;
                double sum = 0;
                double term = Math.exp(-s);
                for (int j = 0; j < n; j++) {
                    if (j > 0) {
                        term *= s / j;
                    }
                    sum += term;
                }
                assertThat(Statistics.gammaUpper(n, s).p()).as("N %d S %s", n, s).isCloseTo(sum, within(1e-12 * sum));
            }
        }
    }

    /** For d = 20, the fraction of 200,000 random unit vectors with cos >= c matches p(c; 20) within 0.003. */
    @Test
    void monteCarloAgrees() {
        Random r = new Random(4);
        int d = 20;
        int trials = 200_000;
        double[] cs = {-0.3, 0, 0.3, 0.5};
        int[] hits = new int[cs.length];
        for (int t = 0; t < trials; t++) {
            double first = 0;
            double norm = 0;
            for (int j = 0; j < d; j++) {
                double g = r.nextGaussian();
                if (j == 0) {
                    first = g;
                }
                norm += g * g;
            }
            double cos = first / Math.sqrt(norm);
            for (int i = 0; i < cs.length; i++) {
                hits[i] += cos >= cs[i] ? 1 : 0;
            }
        }
        for (int i = 0; i < cs.length; i++) {
            assertThat((double) hits[i] / trials).as("c = %s", cs[i]).isCloseTo(Statistics.cosine(cs[i], d).p(), within(0.003));
        }
    }

    static double lnChoose(int n, int k) {
        return lnFactorial(n) - lnFactorial(k) - lnFactorial(n - k);
    }

    static double lnFactorial(int n) {
        double s = 0;
        for (int i = 2; i <= n; i++) {
            s += Math.log(i);
        }
        return s;
    }

    @Test
    void aCosineOfExactlyOneMakesTheCombinationExactlyZeroNotNaN() {
        // found by scripts/faults.py: a classifier row equal to its carrier gave "combined p = NaN"
        Statistics.P one = Statistics.cosine(1, 8);
        assertThat(one.p()).isZero();
        Statistics.P combined = Statistics.fisher(new double[] {one.lnP(), Math.log(0.3)});
        assertThat(combined.p()).isZero();
        assertThat(combined.lnP()).isEqualTo(Double.NEGATIVE_INFINITY);
        double[][] u = {{1, 0, 0}, {0, 1, 0}};
        Detection.Result r = Detection.detect(u, new double[][] {{2, 0, 0}, {0.5, 0.5, 0.1}});
        assertThat(r.combinedP()).isZero();
        assertThat(r.cosines()[0]).isEqualTo(1);
    }
}
