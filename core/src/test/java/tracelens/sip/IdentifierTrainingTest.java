package tracelens.sip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;

/** The tests sip.md §10 requires of the identifier, its loss and its initialisation. */
class IdentifierTrainingTest {
    @Test
    void stableBceEqualsTheNaiveFormulaAndStaysFinite() {
        try (NDManager m = DjlRuntime.manager()) {
            float[] z = {-19.5f, -3f, -0.1f, 0f, 0.7f, 5f, 19.9f};
            float[] y = {0, 1, 0, 1, 1, 0, 1};
            double naive = 0;
            for (int i = 0; i < z.length; i++) {
                double s = 1 / (1 + Math.exp(-z[i]));
                naive += -(y[i] * Math.log(s) + (1 - y[i]) * Math.log(1 - s));
            }
            float got = tracelens.losses.Bce.mean(m.create(z), m.create(y)).getFloat();
            assertThat((double) got).isCloseTo(naive / z.length, within(1e-5));
            float huge = tracelens.losses.Bce.mean(m.create(new float[] {1e4f, -1e4f}), m.create(new float[] {0, 1})).getFloat();
            assertThat(huge).isCloseTo(1e4f, within(1f));
        }
    }

    @Test
    void bceGradientIsSigmoidMinusTargetOverBK() {
        try (NDManager m = DjlRuntime.manager()) {
            float[] z = {0.3f, -1.2f, 2.5f, -0.4f, 0.9f, 1.7f}; // B = 2, K = 3
            float[] y = {0, 1, 0, 0, 0, 1};
            NDArray logits = m.create(z, new ai.djl.ndarray.types.Shape(2, 3));
            logits.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(tracelens.losses.Bce.mean(logits, m.create(y, new ai.djl.ndarray.types.Shape(2, 3))));
            }
            float[] g = logits.getGradient().toFloatArray();
            for (int i = 0; i < z.length; i++) {
                double analytic = (1 / (1 + Math.exp(-z[i])) - y[i]) / 6;
                double h = 1e-4;
                double fd = (tracelens.losses.Bce.value(z[i] + h, y[i]) - tracelens.losses.Bce.value(z[i] - h, y[i])) / (2 * h) / 6;
                assertThat((double) g[i]).isCloseTo(analytic, within(1e-6)).isCloseTo(fd, within(1e-6));
            }
        }
    }

    @Test
    void orthogonalInitHasOrthogonalRowsOrColumnsWithGainSqrt2() {
        for (int[] shape : new int[][] {{3, 8}, {8, 3}, {5, 5}}) {
            int out = shape[0], in = shape[1];
            float[] w = OrthogonalInit.weight(out, in, Math.sqrt(2), new Random(1));
            boolean rows = out <= in;
            int n = rows ? out : in;
            for (int a = 0; a < n; a++) {
                for (int b = 0; b < n; b++) {
                    double dot = 0;
                    for (int t = 0; t < (rows ? in : out); t++) {
                        dot += rows ? w[a * in + t] * w[b * in + t] : w[t * in + a] * w[t * in + b];
                    }
                    assertThat(dot).as("%dx%d (%d,%d)", out, in, a, b).isCloseTo(a == b ? 2.0 : 0.0, within(1e-5));
                }
            }
        }
        try (NDManager m = DjlRuntime.manager(); Identifier id = new Identifier(m, 4, new int[] {6}, 3, 1)) {
            assertThat(id.parameters().get("layers.0.bias").toFloatArray()).containsOnly(0f);
            assertThat(id.parameters().get("layers.1.bias").toFloatArray()).containsOnly(0f);
        }
    }

    /** sip.md §10: 5 Gaussian sources in R^64, class means ~ N(0, 4I), unit noise, 500 each, 0.7 split, linear, 20 epochs. */
    @Test
    void linearProbeSeparatesGaussianSources() {
        int k = 5, d = 64, per = 500;
        Random r = new Random(3);
        double[][] means = new double[k][d];
        for (double[] mu : means) {
            for (int j = 0; j < d; j++) {
                mu[j] = 2 * r.nextGaussian();
            }
        }
        int nTrain = (int) (0.7 * per) * k;
        float[][] trainX = new float[nTrain][];
        int[] trainY = new int[nTrain];
        float[][] testX = new float[k * per - nTrain][];
        int[] testY = new int[testX.length];
        int a = 0, b = 0;
        for (int c = 0; c < k; c++) {
            for (int i = 0; i < per; i++) {
                float[] v = new float[d];
                for (int j = 0; j < d; j++) {
                    v[j] = (float) (means[c][j] + r.nextGaussian());
                }
                if (i < (int) (0.7 * per)) {
                    trainX[a] = v;
                    trainY[a++] = c;
                } else {
                    testX[b] = v;
                    testY[b++] = c;
                }
            }
        }
        try (NDManager m = DjlRuntime.manager()) {
            var opts = new IdentifierTrainer.Options(Identifier.LINEAR, 20, 64, 1e-3, 5.0, 20, 0);
            var result = IdentifierTrainer.trainAndPredict(m, trainX, trainY, testX, k, opts, Progress.NONE);
            assertThat(Metrics.accuracy(result.testLogits(), testY, k)).isGreaterThan(0.95);
            assertThat(result.trainLoss()[result.trainLoss().length - 1]).isLessThan(result.trainLoss()[0]);
            var again = IdentifierTrainer.trainAndPredict(m, trainX, trainY, testX, k, opts, Progress.NONE);
            assertThat(again.testLogits()).as("same seed, same numbers").containsExactly(result.testLogits());
        }
    }
}
