package tracelens.sip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class MetricsTest {
    @Test
    void mccMatchesScikitLearn() {
        // values from sklearn.metrics.matthews_corrcoef on the same labels
        assertThat(Metrics.mcc(new int[] {1, 1, 1, 0, 0, 0, 1, 1}, new int[] {1, 1, 1, 1, 0, 0, 0, 0}, 2))
                .isCloseTo(4 / Math.sqrt(240), within(1e-15)); // (tp tn - fp fn) / sqrt(...) = (6 - 2) / sqrt(5 4 4 3)
        assertThat(Metrics.mcc(new int[] {0, 2, 2, 1, 1, 0, 2, 0, 0, 2}, new int[] {0, 1, 2, 2, 1, 0, 2, 1, 0, 2}, 3))
                .isCloseTo(0.5539117094069973, within(1e-15));
        assertThat(Metrics.mcc(new int[] {0, 0, 0, 0}, new int[] {0, 0, 1, 1}, 2)).isEqualTo(0.0); // constant prediction
        assertThat(Metrics.mcc(new int[] {0, 1, 1, 0}, new int[] {1, 0, 0, 1}, 2)).isEqualTo(-1.0);
    }

    @Test
    void accuracyTopKAndTies() {
        float[] logits = {3, 1, 2, /**/ 0, 0, 0, /**/ 1, 5, 4};
        int[] y = {2, 1, 2};
        assertThat(Metrics.argmax(logits, 3)).containsExactly(0, 0, 1);
        assertThat(Metrics.accuracy(logits, y, 3)).isZero();
        assertThat(Metrics.topK(logits, y, 3, 2)).as("row 0: 2 second; row 1: tie, index 0 first; row 2: 2 second")
                .isCloseTo(1.0, within(1e-12));
    }

    @Test
    void macroF1ByHand() {
        // classes 0,1,2; y = 0 0 1 1 2, p = 0 1 1 1 0: F1_0 = 2*1/(2+1+1) = 0.5, F1_1 = 2*2/(4+1+0) = 0.8, F1_2 = 0
        assertThat(Metrics.macroF1(new int[] {0, 1, 1, 1, 0}, new int[] {0, 0, 1, 1, 2}, 3)).isCloseTo((0.5 + 0.8 + 0) / 3, within(1e-12));
        assertThat(Metrics.mostConfused(new int[] {0, 1, 1, 1, 0}, new int[] {0, 0, 1, 1, 2}, 3, 5))
                .containsExactly(new Metrics.Confusion(0, 1, 1), new Metrics.Confusion(2, 0, 1));
    }

    @Test
    void silhouetteByHandAndOnBlobs() {
        // 1-D points 0, 1 (label 0) and 4 (label 1): s(0) = (4-1)/4, s(1) = (3-1)/3, s(4) = 0 (alone)
        float[][] x = {{0}, {1}, {4}};
        assertThat(Silhouette.score(x, new int[] {0, 0, 1}, Silhouette.Distance.EUCLIDEAN))
                .isCloseTo((0.75 + 2.0 / 3) / 3, within(1e-12));
        float[][] blobs = new float[200][];
        int[] labels = new int[200];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < 200; i++) {
            labels[i] = i % 2;
            blobs[i] = new float[] {(float) (labels[i] * 50 + r.nextGaussian()), (float) r.nextGaussian()};
        }
        assertThat(Silhouette.score(blobs, labels, Silhouette.Distance.EUCLIDEAN)).isGreaterThan(0.9);
        assertThatThrownBy(() -> Silhouette.score(blobs, new int[200], Silhouette.Distance.EUCLIDEAN)).hasMessageContaining("2 to n-1");
        // cosine: directions, not lengths
        float[][] dirs = {{1, 0}, {10, 0.1f}, {0, 1}, {0.2f, 7}};
        assertThat(Silhouette.score(dirs, new int[] {0, 0, 1, 1}, Silhouette.Distance.COSINE)).isGreaterThan(0.9);
    }

    /** Wilson intervals: the closed forms at 0 and n successes, and 18 of 36 from the formula evaluated in Python. */
    @Test
    void wilsonIntervals() {
        double z2 = 1.959963984540054 * 1.959963984540054;
        assertThat(Metrics.wilson(0, 10)).containsExactly(new double[] {0, z2 / (10 + z2)}, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(Metrics.wilson(1, 10)).containsExactly(new double[] {10 / (10 + z2), 1}, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(Metrics.wilson(1, 27)[1]).as("exactly 1, not 0.9999999999999999").isEqualTo(1.0);
        assertThat(Metrics.wilson(0, 27)[0]).isEqualTo(0.0);
        double[] half = Metrics.wilson(0.5, 36);
        assertThat(half[0]).isCloseTo(0.34474325409626827, org.assertj.core.api.Assertions.within(1e-14));
        assertThat(half[1]).isCloseTo(0.6552567459037317, org.assertj.core.api.Assertions.within(1e-14));
        assertThat(Metrics.wilson(0.5, 0)[0]).isNaN();
    }

    @Test
    void macroF1BootstrapIntervalIsSeededAndBehavesAtTheEdges() {
        int[] y = new int[60];
        int[] right = new int[60];
        int[] noisy = new int[60];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < 60; i++) {
            y[i] = i % 3;
            right[i] = y[i];
            noisy[i] = r.nextInt(4) == 0 ? (y[i] + 1) % 3 : y[i];
        }
        assertThat(Metrics.macroF1Interval(right, y, 3, 1000, 7)).containsExactly(1.0, 1.0); // every resample is perfect
        double[] a = Metrics.macroF1Interval(noisy, y, 3, 1000, 7);
        assertThat(Metrics.macroF1Interval(noisy, y, 3, 1000, 7)).containsExactly(a); // same seed, same numbers
        double f1 = Metrics.macroF1(noisy, y, 3);
        assertThat(a[0]).isLessThan(f1);
        assertThat(a[1]).isGreaterThan(f1);
        assertThat(a[1]).isLessThanOrEqualTo(1.0);
        // the interval narrows about as 1/sqrt(n): four times the samples, about half the width
        int[] y4 = new int[240];
        int[] p4 = new int[240];
        for (int i = 0; i < 240; i++) {
            y4[i] = y[i % 60];
            p4[i] = noisy[i % 60];
        }
        double[] b = Metrics.macroF1Interval(p4, y4, 3, 1000, 7);
        assertThat((b[1] - b[0]) / (a[1] - a[0])).isBetween(0.35, 0.7);
        assertThat(Metrics.macroF1Interval(new int[0], new int[0], 3, 1000, 7)[0]).isNaN();
    }

    @Test
    void percentileIsNumpysLinearMethod() {
        double[] v = {1, 2, 4, 8, 16}; // np.percentile(v, [2.5, 50, 97.5]) = [1.1, 4.0, 15.2]
        assertThat(Metrics.percentile(v, 0.025)).isCloseTo(1.1, org.assertj.core.api.Assertions.within(1e-12));
        assertThat(Metrics.percentile(v, 0.5)).isEqualTo(4.0);
        assertThat(Metrics.percentile(v, 0.975)).isCloseTo(15.2, org.assertj.core.api.Assertions.within(1e-12));
    }
}
