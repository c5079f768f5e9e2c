package tracelens.sip;

import static org.assertj.core.api.Assertions.assertThat;

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
}
