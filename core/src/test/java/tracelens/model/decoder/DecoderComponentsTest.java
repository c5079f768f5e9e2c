package tracelens.model.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import tracelens.runtime.DjlRuntime;

/** Hand-computed values for the decoder's parts. */
class DecoderComponentsTest {
    static float[] rotate(int hs, int rot, double theta, long pos, float[] x) {
        try (NDManager m = DjlRuntime.manager()) {
            Rotary r = new Rotary(m, hs, rot, theta);
            NDArray v = m.create(x, new Shape(1, 1, 1, hs));
            return r.apply(v, r.tables(m, new long[] {pos}, 1, 1)).toFloatArray();
        }
    }

    @Test
    void rotaryTurnsHalfPairsByPositionTimesFrequency() {
        // hs = rot = 4, theta = 10000: pairs (x0, x2) at frequency 1 and (x1, x3) at 10000^(-1/2) = 0.01
        float[] y = rotate(4, 4, 10000, 1, new float[] {1, 2, 3, 4});
        double c1 = Math.cos(1), s1 = Math.sin(1), c2 = Math.cos(0.01), s2 = Math.sin(0.01);
        assertThat(y[0]).isCloseTo((float) (1 * c1 - 3 * s1), within(1e-6f));
        assertThat(y[2]).isCloseTo((float) (3 * c1 + 1 * s1), within(1e-6f));
        assertThat(y[1]).isCloseTo((float) (2 * c2 - 4 * s2), within(1e-6f));
        assertThat(y[3]).isCloseTo((float) (4 * c2 + 2 * s2), within(1e-6f));
        assertThat(rotate(4, 4, 10000, 0, new float[] {1, 2, 3, 4})).as("position 0 is the identity").containsExactly(1, 2, 3, 4);
    }

    @Test
    void partialRotaryLeavesTheRestAlone() {
        // hs = 4, rot = 2 (GPT-NeoX rotary_pct 0.5): only (x0, x1) turn, at frequency 1
        float[] y = rotate(4, 2, 10000, 3, new float[] {1, 2, 3, 4});
        assertThat(y[0]).isCloseTo((float) (Math.cos(3) - 2 * Math.sin(3)), within(1e-6f));
        assertThat(y[1]).isCloseTo((float) (2 * Math.cos(3) + Math.sin(3)), within(1e-6f));
        assertThat(y[2]).isEqualTo(3f);
        assertThat(y[3]).isEqualTo(4f);
    }

    @Test
    void rotaryDotProductsDependOnlyOnRelativePosition() {
        float[] q = {0.3f, -1.2f, 0.7f, 2.0f, 0.1f, -0.4f};
        float[] k = {1.1f, 0.5f, -0.3f, 0.9f, 1.7f, -2.2f};
        double d1 = dot(rotate(6, 6, 500, 7, q), rotate(6, 6, 500, 4, k));
        double d2 = dot(rotate(6, 6, 500, 103, q), rotate(6, 6, 500, 100, k));
        assertThat(d1).isCloseTo(d2, within(1e-4));
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void causalMaskHidesTheFutureAndPadding() {
        float min = -Float.MAX_VALUE;
        // one row, one cached key (a left pad) and two new tokens at absolute positions 1 and 2
        float[] bias = Decoder.causalMaskBias(new long[] {0, 1, 1}, 1, 2, 1);
        assertThat(bias).containsExactly(min, 0, min, min, 0, 0);
        // two rows without cache, the second right-padded
        float[] two = Decoder.causalMaskBias(new long[] {1, 1, 1, 0}, 2, 2, 0);
        assertThat(two).containsExactly(0, min, 0, 0, 0, min, 0, min);
    }

    @Test
    void positionsCountRealTokensOnly() {
        assertThat(Decoder.positionsFromMask(new long[] {0, 0, 1, 1, 1, 1, 1, 0}, 2, 4)).containsExactly(0, 0, 0, 1, 0, 1, 2, 0);
    }
}
