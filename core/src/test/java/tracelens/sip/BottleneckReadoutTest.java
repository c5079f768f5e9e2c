package tracelens.sip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tracelens.runtime.DjlRuntime;

/** The 2-unit bottleneck read out for sip sweep's maps: W1 act(W0 x + b0) + b1, computed by hand in double. */
class BottleneckReadoutTest {
    @Test
    void preActivationOfTheLastHiddenLayerIsTheAffineMapOfTheActivatedLayerBefore() {
        try (NDManager m = DjlRuntime.manager();
             Identifier net = new Identifier(m, 4, new int[] {3, 2}, 5, 7, false, Identifier.Act.TANH)) {
            Random r = new Random(1);
            float[] x = new float[6 * 4];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) r.nextGaussian();
            }
            // give the biases values (they start at zero) so that they are checked too
            var p = net.parameters().asMap();
            p.get("layers.0.bias").set(new float[] {0.1f, -0.2f, 0.3f});
            p.get("layers.1.bias").set(new float[] {-0.5f, 0.25f});
            float[] w0 = p.get("layers.0.weight").toFloatArray(); // (3, 4)
            float[] b0 = p.get("layers.0.bias").toFloatArray();
            float[] w1 = p.get("layers.1.weight").toFloatArray(); // (2, 3)
            float[] b1 = p.get("layers.1.bias").toFloatArray();
            float[] z = net.preActivation(m.create(x, new Shape(6, 4)), 1).toFloatArray();
            assertThat(z).hasSize(12);
            for (int i = 0; i < 6; i++) {
                double[] h = new double[3];
                for (int a = 0; a < 3; a++) {
                    double s = b0[a];
                    for (int c = 0; c < 4; c++) {
                        s += (double) w0[a * 4 + c] * x[i * 4 + c];
                    }
                    h[a] = Math.tanh(s);
                }
                for (int u = 0; u < 2; u++) {
                    double s = b1[u];
                    for (int a = 0; a < 3; a++) {
                        s += (double) w1[u * 3 + a] * h[a];
                    }
                    assertThat((double) z[i * 2 + u]).as("row %d unit %d", i, u).isCloseTo(s, within(1e-5));
                }
            }
            assertThatThrownBy(() -> net.preActivation(m.create(x, new Shape(6, 4)), 2)).hasMessageContaining("hidden layer 2");
        }
    }
}
