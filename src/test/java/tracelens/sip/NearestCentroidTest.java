package tracelens.sip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class NearestCentroidTest {
    @Test
    void separatesDirectionsAndIgnoresScale() {
        float[][] x = {{1, 0.1f}, {5, -0.2f}, {0.1f, 2}, {-0.1f, 9}};
        int[] y = {0, 0, 1, 1};
        NearestCentroid nc = NearestCentroid.fit(x, y, 2);
        assertThat(nc.predict(new float[] {100, 1})).isZero();
        assertThat(nc.predict(new float[] {0.01f, 0.02f})).isOne();
        assertThat(nc.accuracy(x, y)).isEqualTo(1.0);
    }

    @Test
    void meanPairwiseCosineMatchesTheDefinition() {
        float[][] x = {{1, 0}, {0, 1}, {1, 1}, {-1, 0.5f}};
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x.length; j++) {
                if (i != j) {
                    double dot = x[i][0] * x[j][0] + x[i][1] * x[j][1];
                    sum += dot / Math.hypot(x[i][0], x[i][1]) / Math.hypot(x[j][0], x[j][1]);
                    pairs++;
                }
            }
        }
        assertThat(NearestCentroid.meanPairwiseCosine(x)).isCloseTo(sum / pairs, within(1e-12));
        assertThat(NearestCentroid.meanPairwiseCosine(new float[][] {{2, 0}, {3, 0}})).isCloseTo(1.0, within(1e-12));
    }
}
