package tracelens.model.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tracelens.model.DecoderLoader;
import tracelens.runtime.DjlRuntime;
import tracelens.testing.SharedFiles;

/** PiFi's one-position shortcut of a decoder block (pifi_ilm.md §1.1). */
class OnePositionTest {
    /** W(rows, cols, a, b)[i][j] = (((i a + j b) mod 5) - 2) / 10, the spec's toy weights. */
    static double[] w(int rows, int cols, int a, int b) {
        double[] v = new double[rows * cols];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                v[i * cols + j] = (((i * a + j * b) % 5) - 2) / 10.0;
            }
        }
        return v;
    }

    /** The spec's toy example, computed in float64 on the engine: W_out x2 to 1e-12. */
    @Test
    void theSpecsToyWeightsGiveThePublishedOutputInDouble() {
        DecoderConfig config = new DecoderConfig("toy", 8, 4, 1, 2, 1, 6, 8, DecoderConfig.Norm.RMS, 1e-6f,
                DecoderConfig.Positions.ROTARY, 2, 10000, true, false, DecoderConfig.Mlp.SWIGLU, false, true, 1, 2);
        try (NDManager m = DjlRuntime.manager()) {
            NDArray[] p = new NDArray[17];
            p[0] = m.create(new double[] {1, 1, 1, 1});                              // g1
            p[6] = m.create(w(2, 4, 2, 1), new Shape(2, 4));                         // W_v
            p[7] = m.create(new double[] {0.1, -0.1});                               // b_v
            p[8] = m.create(w(4, 4, 3, 1), new Shape(4, 4));                         // W_o
            p[10] = m.create(new double[] {1, 0.5, 2, 1});                           // g2
            p[12] = m.create(w(6, 4, 1, 3), new Shape(6, 4));                        // W_gate
            p[16] = m.create(w(6, 4, 2, 3), new Shape(6, 4));                        // W_up
            p[14] = m.create(w(4, 6, 3, 2), new Shape(4, 6));                        // W_down
            DecoderBlock block = new DecoderBlock(config, 0, null, p, null);
            NDArray wIn = m.create(w(4, 3, 1, 2), new Shape(4, 3));
            NDArray wOut = m.create(w(3, 4, 1, 1), new Shape(3, 4));
            NDArray h = m.create(new double[] {0.5, -1, 2}, new Shape(1, 3));
            double[] got = block.forwardOnePosition(h.matMul(wIn.transpose())).matMul(wOut.transpose()).toDoubleArray();
            double[] want = {0.050542910121459256, -0.002303627132527797, -0.24089871344342076};
            for (int i = 0; i < 3; i++) {
                assertThat(got[i]).as("output %d", i).isCloseTo(want[i], within(1e-12));
            }
        }
    }

    /** The shortcut equals the full block (q, k, RoPE, mask) on one position: stories260K's last block, 8 heads on 4 kv heads. */
    @Test
    void theShortcutEqualsTheFullBlockOnOnePosition() {
        Path model = SharedFiles.stories260K();
        try (NDManager m = DjlRuntime.manager()) {
            for (int layer : new int[] {0, -1}) {
                DecoderBlock block = DecoderLoader.loadBlock(model, layer, m.newSubManager());
                float[] x = new float[3 * 64];
                Random r = new Random(layer + 5);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) r.nextGaussian();
                }
                NDArray in = m.create(x, new Shape(3, 64));
                float[] shortcut = block.forwardOnePosition(in).toFloatArray();
                float[] full = block.forward(in.expandDims(1)).squeeze(1).toFloatArray();
                for (int i = 0; i < full.length; i++) {
                    assertThat((double) shortcut[i]).as("layer %d value %d", layer, i).isCloseTo(full[i], within(1e-6));
                }
                assertThat(block.parameters().trainable()).isEmpty();
                block.close();
            }
        }
    }
}
