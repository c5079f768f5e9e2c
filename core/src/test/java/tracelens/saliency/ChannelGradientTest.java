package tracelens.saliency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tracelens.cnn.Cnn;
import tracelens.cnn.CnnLoader;
import tracelens.nn.Hooks;
import tracelens.runtime.DjlRuntime;

/** ParchGrad's gradient modification (parchgrad.md §3-4) against a direct double-precision transcription. */
class ChannelGradientTest {
    static final int B = 4;
    static final int C = 6;

    /** §3 for one sample, written out in double: g[c][p] over p = h * w positions, H as booleans. */
    static double[][] reference(double[][] g, boolean[] h, ChannelGradient.Options o) {
        int c = g.length;
        int n = g[0].length;
        int nh = 0;
        for (boolean x : h) {
            nh += x ? 1 : 0;
        }
        if (nh == 0 || nh == c) {
            return g;
        }
        double[] sh = new double[n];
        double[] sl = new double[n];
        double[] st = new double[n];
        for (int k = 0; k < c; k++) {
            for (int p = 0; p < n; p++) {
                (h[k] ? sh : sl)[p] += g[k][p];
                st[p] += g[k][p];
            }
        }
        double m = spread(sh) + ChannelGradient.EPS;
        double nn = spread(sl) + ChannelGradient.EPS;
        double[][] out = new double[c][n];
        if (Double.isInfinite(o.gamma())) {
            double beta = o.varianceConservation() ? Math.sqrt((m + nn) / m) : 1;
            for (int k = 0; k < c; k++) {
                for (int p = 0; p < n; p++) {
                    out[k][p] = h[k] ? beta * g[k][p] : 0;
                }
            }
            return out;
        }
        double gh = o.gamma() * Math.sqrt(nn / m);
        if (o.exactVariance()) {
            double s1 = spread(st) + ChannelGradient.EPS;
            double[] s = new double[n];
            for (int k = 0; k < c; k++) {
                for (int p = 0; p < n; p++) {
                    out[k][p] = h[k] ? gh * g[k][p] : g[k][p];
                    s[p] += out[k][p];
                }
            }
            double s2 = spread(s) + ChannelGradient.EPS;
            double f = o.legacyVarianceRatio() ? s1 / s2 : Math.sqrt(s1 / s2);
            for (double[] row : out) {
                for (int p = 0; p < n; p++) {
                    row[p] *= f;
                }
            }
            return out;
        }
        double beta = o.varianceConservation() ? Math.sqrt((m + nn) / (m * gh * gh + nn)) : 1;
        for (int k = 0; k < c; k++) {
            for (int p = 0; p < n; p++) {
                out[k][p] = (h[k] ? gh * beta : beta) * g[k][p];
            }
        }
        return out;
    }

    /** Unbiased variance over positions, or |value| for one position. */
    static double spread(double[] v) {
        if (v.length == 1) {
            return Math.abs(v[0]);
        }
        double mean = 0;
        for (double x : v) {
            mean += x;
        }
        mean /= v.length;
        double s = 0;
        for (double x : v) {
            s += (x - mean) * (x - mean);
        }
        return s / (v.length - 1);
    }

    @Test
    void matchesTheDirectTranscriptionForEveryBranch() {
        for (int side : new int[] {4, 1}) {
            Random r = new Random(side);
            int n = side * side;
            float[] g = new float[B * C * n];
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) r.nextGaussian();
            }
            boolean[][] h = new boolean[B][C];
            for (int b = 0; b < B; b++) {
                for (int c = 0; c < C; c++) {
                    h[b][c] = b == 0 || (b != 1 && r.nextBoolean()); // sample 0: all of H (unchanged), sample 1: H empty
                }
                h[2][0] = true;
                h[2][1] = false;
            }
            float[] mask = new float[B * C];
            for (int b = 0; b < B; b++) {
                for (int c = 0; c < C; c++) {
                    mask[b * C + c] = h[b][c] ? 1 : 0;
                }
            }
            for (ChannelGradient.Options o : List.of(ChannelGradient.Options.defaults(),
                    new ChannelGradient.Options(false, Double.POSITIVE_INFINITY, true, false),
                    new ChannelGradient.Options(true, 0.5, true, false), new ChannelGradient.Options(true, 0.5, true, true),
                    new ChannelGradient.Options(true, 2.0, false, false), new ChannelGradient.Options(false, 2.0, false, false))) {
                try (NDManager m = DjlRuntime.manager()) {
                    NDArray gg = m.create(g, new Shape(B, C, side, side)).toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
                    double[] got = ChannelGradient.modify(gg, m.create(mask, new Shape(B, C)), o).toDoubleArray();
                    for (int b = 0; b < B; b++) {
                        double[][] gs = new double[C][n];
                        for (int c = 0; c < C; c++) {
                            for (int p = 0; p < n; p++) {
                                gs[c][p] = g[(b * C + c) * n + p];
                            }
                        }
                        double[][] want = reference(gs, h[b], o);
                        for (int c = 0; c < C; c++) {
                            for (int p = 0; p < n; p++) {
                                assertThat(got[(b * C + c) * n + p]).as("%s side %d sample %d channel %d", o, side, b, c)
                                        .isCloseTo(want[c][p], within(1e-9 * (1 + Math.abs(want[c][p]))));
                            }
                        }
                    }
                }
            }
        }
    }

    /** With gamma infinite and conservation on, the channel-summed gradient keeps the variance M + N (eps aside). */
    @Test
    void varianceConservationKeepsTheTotalVariance() {
        Random r = new Random(3);
        double[][] g = new double[C][16];
        for (double[] row : g) {
            for (int p = 0; p < row.length; p++) {
                row[p] = r.nextGaussian();
            }
        }
        boolean[] h = {true, false, true, false, false, false};
        double[] sh = new double[16];
        double[] sl = new double[16];
        double[] after = new double[16];
        double[][] out = reference(g, h, ChannelGradient.Options.defaults());
        for (int c = 0; c < C; c++) {
            for (int p = 0; p < 16; p++) {
                (h[c] ? sh : sl)[p] += g[c][p];
                after[p] += out[c][p];
            }
        }
        assertThat(spread(after)).isCloseTo(spread(sh) + spread(sl), within(1e-9));
    }

    /**
     * Through a real network (the torchvision-parity ResNet-18 fixture): selecting every channel leaves the input gradient
     * as plain autograd gives it; a random selection at the last convolution equals backpropagating, by autograd, the
     * transcription's modified gradient from that convolution's output.
     */
    @Test
    void theRewrittenBackwardThroughAResNetEqualsTheDirectComputation() {
        try (Cnn cnn = CnnLoader.load(Path.of("src/test/resources/fixtures/cnn/resnet18.safetensors"), Cnn.Arch.RESNET18);
             NDManager m = DjlRuntime.manager()) {
            Random r = new Random(9);
            float[] img = new float[3 * 32 * 32];
            for (int i = 0; i < img.length; i++) {
                img[i] = (float) r.nextGaussian();
            }
            NDArray x = m.create(img, new Shape(1, 3, 32, 32));
            int target = 2;
            float[] plain = Saliency.gradient(m, cnn, x, target, null).toFloatArray();
            List<String> convs = List.of("layer3.0.conv1", "layer4.1.conv2");
            Saliency.ParchGrad all = Saliency.ParchGrad.same(convs, (a, y) -> a.getManager().ones(new Shape(a.getShape().get(0),
                    a.getShape().get(1))), ChannelGradient.Options.defaults());
            float[] same = Saliency.gradient(m, cnn, x, target, all).toFloatArray();
            for (int i = 0; i < plain.length; i++) {
                assertThat((double) same[i]).isCloseTo(plain[i], within(1e-6));
            }

            String last = "layer4.1.conv2";
            int c = 64;
            float[] mask = new float[c];
            boolean[] h = new boolean[c];
            for (int k = 0; k < c; k++) {
                h[k] = r.nextInt(4) == 0;
                mask[k] = h[k] ? 1 : 0;
            }
            Saliency.ParchGrad one = Saliency.ParchGrad.same(List.of(last), (a, y) -> a.getManager().create(mask, new Shape(1, c)),
                    ChannelGradient.Options.defaults());
            float[] got = Saliency.gradient(m, cnn, x, target, one).toFloatArray();

            // direct: the plain gradient at the conv output, modified by the transcription, pushed back by autograd together
            // with the objective's own path around the convolution
            NDArray input = x.duplicate();
            input.setRequiresGradient(true);
            float[] expected;
            try (NDManager s = m.newSubManager()) {
                Hooks hooks = new Hooks(s).cut(last);
                double[][] g;
                long[] shape;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray z = cnn.forward(input, hooks);
                    gc.backward(z.get(":, " + target).mul(z.softmax(1).get(":, " + target).stopGradient()).sum());
                    NDArray leafGrad = hooks.cutLeaf(last).getGradient();
                    shape = leafGrad.getShape().getShape();
                    float[] flat = leafGrad.toFloatArray();
                    int n = (int) (shape[2] * shape[3]);
                    g = new double[c][n];
                    for (int k = 0; k < c; k++) {
                        for (int p = 0; p < n; p++) {
                            g[k][p] = flat[k * n + p];
                        }
                    }
                }
                double[][] mod = reference(g, h, ChannelGradient.Options.defaults());
                float[] modFlat = new float[c * mod[0].length];
                for (int k = 0; k < c; k++) {
                    for (int p = 0; p < mod[0].length; p++) {
                        modFlat[k * mod[0].length + p] = (float) mod[k][p];
                    }
                }
                NDArray ig = input.getGradient();
                ig.subi(ig); // clear the first pass
                Hooks again = new Hooks(s).cut(last);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    // the objective still reaches the input through the residual path that bypasses the cut convolution
                    NDArray z = cnn.forward(input, again);
                    NDArray objective = z.get(":, " + target).mul(z.softmax(1).get(":, " + target).stopGradient()).sum();
                    gc.backward(objective.add(again.cutSource(last).mul(s.create(modFlat, new Shape(shape))).sum()));
                }
                expected = input.getGradient().toFloatArray();
            }
            double scale = 0;
            for (float v : expected) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertThat(scale).isGreaterThan(0);
            for (int i = 0; i < expected.length; i++) {
                assertThat((double) got[i]).as("input gradient %d", i).isCloseTo(expected[i], within(1e-5 * scale));
            }
            boolean differs = false;
            for (int i = 0; i < expected.length && !differs; i++) {
                differs = Math.abs(got[i] - plain[i]) > 1e-3 * scale;
            }
            assertThat(differs).as("the modification changes the map").isTrue();
        }
    }
}
