package tracelens.sip;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;

class BinaryHashTest {
    @Test
    void encodeDecodeRoundTripsForEveryClass() {
        for (int k : new int[] {2, 3, 10, 11, 100, 1000}) {
            assertThat(BinaryHash.bits(k)).isEqualTo((int) Math.ceil(Math.log(k + 1) / Math.log(2)));
            for (int c = 0; c < k; c++) {
                float[] bits = BinaryHash.encode(c, k);
                float[] logits = new float[bits.length];
                for (int j = 0; j < bits.length; j++) {
                    logits[j] = bits[j] == 1 ? 2f : -2f;
                }
                assertThat(BinaryHash.decode(logits, 0, k)).isEqualTo(c);
                assertThat(Metrics.argmax(BinaryHash.toScores(logits, k), k)[0]).isEqualTo(c);
            }
        }
        // K = 10 uses 4 bits, class 0 is code 0001 (1-based, MSB first); 0000 decodes to no class
        assertThat(BinaryHash.encode(0, 10)).containsExactly(0, 0, 0, 1);
        assertThat(BinaryHash.encode(9, 10)).containsExactly(1, 0, 1, 0);
        assertThat(BinaryHash.decode(new float[] {-1, -1, -1, -1}, 0, 10)).isEqualTo(-1);
    }

    @Test
    void ceAndHashLossesAlsoTrainAProbe() {
        int k = 4, d = 16, n = 400;
        Random r = new Random(2);
        float[][] x = new float[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % k;
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) (r.nextGaussian() + (j == y[i] ? 4 : 0));
            }
        }
        try (NDManager m = DjlRuntime.manager()) {
            for (IdentifierTrainer.Loss loss : IdentifierTrainer.Loss.values()) {
                var o = IdentifierTrainer.Options.of(Identifier.LINEAR, 400, 0).withLoss(loss);
                var res = IdentifierTrainer.trainAndPredict(m, x, y, x, k, o, Progress.NONE);
                assertThat(Metrics.accuracy(res.testLogits(), y, k)).as(loss.name()).isGreaterThan(0.9);
            }
        }
    }
}
