package tracelens.sip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;
import tracelens.model.DType;
import tracelens.model.SafeTensors;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;
import tracelens.testing.SyntheticCache;

class SipTrainTest {
    @TempDir
    Path dir;

    private static SipTrain.Options options(SipTrain.Input input, IdentifierTrainer.Loss loss, SipTrain.SplitMode split, boolean ln) {
        // a few hundred Adam steps whatever the row count: sentence inputs have one row per sample
        int epochs = input == SipTrain.Input.SENTENCE ? 150 : 20;
        return new SipTrain.Options(null, input, true, false, new int[0], ln, loss, epochs, 64, 1e-3, epochs, split, 0.7, 0, 0, false);
    }

    @Test
    void ngramRowsCountAndNeverCrossSamples() {
        int t = 6;
        int c = 3;
        SyntheticCache.write(dir, 2, 3, t, c, 2, DType.F32, 1, 0.3, 0, 1);
        try (SafeTensors file = SafeTensors.open(dir.resolve(SipGather.ACTIVATIONS)); NDManager m = DjlRuntime.manager()) {
            int n = 6;
            for (int g = 1; g <= 3; g++) {
                assertThat(CachedFeatures.ngram(file, 2, g, true).rows()).isEqualTo(n * (t - g + 1)); // N T, N (T-1), N (T-2)
            }
            int real = 0;
            for (int i = 0; i < n; i++) {
                real += SyntheticCache.length(i, t) - 1;
            }
            CachedFeatures bigram = CachedFeatures.ngram(file, 2, 2, false);
            assertThat(bigram.rows()).isEqualTo(real);
            float[] all = file.floats("layer.2");
            float[] rows = bigram.batch(m, java.util.stream.IntStream.range(0, bigram.rows()).toArray()).toFloatArray();
            int r = 0;
            for (int i = 0; i < n; i++) {
                for (int s = 0; s + 1 < SyntheticCache.length(i, t); s++, r++) {
                    assertThat(bigram.sampleOf(r)).isEqualTo(i);
                    for (int j = 0; j < 2 * c; j++) { // [h_s ; h_s+1] of the same sample
                        assertThat(rows[r * 2 * c + j]).isEqualTo(all[(i * t + s) * c + j]);
                    }
                }
            }
            float[][] mean = CachedFeatures.meanPooled(file, 2);
            int len = SyntheticCache.length(1, t);
            double expect = 0;
            for (int p = 0; p < len; p++) {
                expect += all[(t + p) * c + 1];
            }
            assertThat((double) mean[1][1]).isCloseTo(expect / len, within(1e-6));
        }
    }

    @Test
    void fiveGaussianSourcesAreIdentifiedFromF16TokenStates() {
        SyntheticCache.write(dir, 5, 40, 8, 64, 3, DType.F16, 2, 0.3, 0, 7);
        SipTrain.Result bigram = SipTrain.train(dir, options(SipTrain.Input.BIGRAM, IdentifierTrainer.Loss.BCE, SipTrain.SplitMode.DOCUMENT, false),
                Progress.NONE);
        assertThat(bigram.layers()).hasSize(1);
        SipTrain.LayerResult l = bigram.layers().get(0);
        assertThat(l.linearAccuracy()).isGreaterThan(0.95);
        assertThat(l.testRows()).isEqualTo(5 * 12 * 7 - 5 * 6 * 0 - holdoutPadding());
        SipTrain.Result sentence = SipTrain.train(dir, options(SipTrain.Input.SENTENCE, IdentifierTrainer.Loss.CE, SipTrain.SplitMode.DOCUMENT, true),
                Progress.NONE);
        assertThat(sentence.layers().get(0).linearAccuracy()).isGreaterThan(0.95);
        assertThat(sentence.layers().get(0).testRows()).isEqualTo(60);
    }

    /** Rows lost to padding among the held-out bigram rows of the cache above. */
    private static int holdoutPadding() {
        int lost = 0;
        for (int k = 0; k < 5; k++) {
            for (int j = 28; j < 40; j++) {
                lost += 8 - SyntheticCache.length(k * 40 + j, 8);
            }
        }
        return lost;
    }

    @Test
    void aThousandSourcesTrainWithBce() {
        // K = 1,000 (the KSC follow-up's scale): 4 training and 2 held-out samples per source, sentence inputs
        SyntheticCache.write(dir, 1000, 6, 2, 32, 0, DType.F16, 1.5, 0.34, 0, 11);
        SipTrain.Result r = SipTrain.train(dir, new SipTrain.Options(null, SipTrain.Input.SENTENCE, true, false, new int[0], false,
                IdentifierTrainer.Loss.BCE, 60, 64, 1e-2, 60, SipTrain.SplitMode.DOCUMENT, 0.7, 0, 0, false), Progress.NONE);
        assertThat(r.sources()).hasSize(1000);
        assertThat(r.layers().get(0).testRows()).isEqualTo(2000);
        assertThat(r.layers().get(0).linearAccuracy()).isGreaterThan(0.5); // chance is 0.001
    }

    @Test
    void tokenRowSplitIsTheNumpyDrawAndDeterministic() {
        SyntheticCache.write(dir, 3, 10, 5, 8, 1, DType.F16, 2, 0.3, 0, 3);
        SipTrain.Options o = options(SipTrain.Input.UNIGRAM, IdentifierTrainer.Loss.BCE, SipTrain.SplitMode.TOKEN_ROW, false);
        SipTrain.Result a = SipTrain.train(dir, o, Progress.NONE);
        SipTrain.Result b = SipTrain.train(dir, o, Progress.NONE);
        assertThat(a.layers().get(0)).isEqualTo(b.layers().get(0));
        int rows = 0;
        for (int i = 0; i < 30; i++) {
            rows += SyntheticCache.length(i, 5);
        }
        assertThat(a.layers().get(0).trainRows()).isEqualTo((int) (0.7 * rows));
        assertThat(a.layers().get(0).testRows()).isEqualTo(rows - (int) (0.7 * rows));
    }

    @Test
    void multiLabelTargetsAreEverySourceOfATextAndRepeatsAreDropped() {
        SyntheticCache.write(dir, 3, 20, 4, 16, 0, DType.F16, 2, 0.3, 6, 5);
        // 50 training rows are one Adam step per epoch: a larger step size than SIP's 1e-3 to converge in a test's time
        SipTrain.Result r = SipTrain.train(dir, new SipTrain.Options(null, SipTrain.Input.SENTENCE, true, false, new int[0], true,
                IdentifierTrainer.Loss.MULTILABEL, 150, 64, 1e-2, 150, SipTrain.SplitMode.DOCUMENT, 0.7, 0, 0, false), Progress.NONE);
        SipTrain.LayerResult l = r.layers().get(0);
        // 60 single texts + 2 x 6 shared texts (each kept once): 18 + 4 held out, 42 + 8 for training
        assertThat(l.testRows()).isEqualTo(18 + 4);
        assertThat(l.trainRows()).isEqualTo(42 + 8);
        assertThat(l.linearAccuracy()).isGreaterThan(0.8);
    }

    @Test
    void inputLayerNormStartsAsAPlainNormalisation() {
        try (NDManager m = DjlRuntime.manager(); Identifier ln = new Identifier(m, 4, new int[] {3}, 2, 9, true);
             Identifier plain = new Identifier(m, 4, new int[] {3}, 2, 9, false)) {
            float[] x = {1, 2, 3, 6, -1, 0, 1, 0};
            float[] normed = new float[8];
            for (int r = 0; r < 2; r++) {
                double mean = 0;
                double var = 0;
                for (int j = 0; j < 4; j++) {
                    mean += x[r * 4 + j] / 4.0;
                }
                for (int j = 0; j < 4; j++) {
                    var += Math.pow(x[r * 4 + j] - mean, 2) / 4;
                }
                for (int j = 0; j < 4; j++) {
                    normed[r * 4 + j] = (float) ((x[r * 4 + j] - mean) / Math.sqrt(var + 1e-5));
                }
            }
            float[] a = ln.forward(m.create(x, new ai.djl.ndarray.types.Shape(2, 4))).toFloatArray();
            float[] b = plain.forward(m.create(normed, new ai.djl.ndarray.types.Shape(2, 4))).toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertThat((double) a[i]).isCloseTo(b[i], within(1e-5));
            }
            assertThat(ln.parameters().size()).isEqualTo(plain.parameters().size() + 2); // gamma and beta are trained
        }
    }

    @Test
    void badCachesAreClearErrors() {
        assertThatThrownBy(() -> SipTrain.train(dir, options(SipTrain.Input.BIGRAM, IdentifierTrainer.Loss.BCE, SipTrain.SplitMode.DOCUMENT,
                false), Progress.NONE)).isInstanceOf(InvalidInputException.class).hasMessageContaining("not a SIP cache");
        SyntheticCache.write(dir, 2, 4, 4, 4, 1, DType.F16, 2, 0.5, 0, 3);
        SipTrain.Options wrongLayer = new SipTrain.Options(new int[] {5}, SipTrain.Input.BIGRAM, true, false, new int[0], false,
                IdentifierTrainer.Loss.BCE, 2, 64, 1e-3, 20, SipTrain.SplitMode.DOCUMENT, 0.7, 0, 0, false);
        assertThatThrownBy(() -> SipTrain.train(dir, wrongLayer, Progress.NONE)).hasMessageContaining("layer 5 is not in the cache (cached: [1])");
    }
}
