package tracelens.radioactive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Marking embeddings in closed form, and radioactive.md §6's end-to-end test with a softmax head trained in Java. */
public class EmbeddingMarkingTest {
    public record Data(float[][] x, int[] y) {}

    /** C = 10 classes of 500 items in d = 64: class means ~ N(0, 0.3^2 I), items = mean + N(0, I). */
    public static Data data(long seed) {
        Random r = new Random(seed);
        int c = 10;
        int d = 64;
        double[][] means = new double[c][d];
        for (double[] m : means) {
            for (int j = 0; j < d; j++) {
                m[j] = 0.3 * r.nextGaussian();
            }
        }
        float[][] x = new float[c * 500][d];
        int[] y = new int[c * 500];
        for (int i = 0; i < x.length; i++) {
            y[i] = i % c;
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) (means[y[i]][j] + r.nextGaussian());
            }
        }
        return new Data(x, y);
    }

    /** Softmax regression with bias: full-batch gradient descent, lr 0.5, 300 epochs, weight decay 1e-4 (the spec's recipe). */
    static double[][] softmaxHead(float[][] x, int[] y, int c) {
        int n = x.length;
        int d = x[0].length;
        try (ai.djl.ndarray.NDManager m = tracelens.runtime.DjlRuntime.manager()) {
            float[] flat = new float[n * d];
            float[] onehot = new float[n * c];
            for (int i = 0; i < n; i++) {
                System.arraycopy(x[i], 0, flat, i * d, d);
                onehot[i * c + y[i]] = 1;
            }
            ai.djl.ndarray.NDArray xs = m.create(flat, new ai.djl.ndarray.types.Shape(n, d));
            ai.djl.ndarray.NDArray ys = m.create(onehot, new ai.djl.ndarray.types.Shape(n, c));
            ai.djl.ndarray.NDArray w = m.zeros(new ai.djl.ndarray.types.Shape(c, d));
            ai.djl.ndarray.NDArray b = m.zeros(new ai.djl.ndarray.types.Shape(c));
            for (int epoch = 0; epoch < 300; epoch++) {
                try (ai.djl.ndarray.NDManager scope = m.newSubManager()) {
                    ai.djl.ndarray.NDArray g = xs.matMul(w.transpose()).add(b).softmax(1).sub(ys).div(n); // (n, c)
                    ai.djl.ndarray.NDArray gw = g.transpose().matMul(xs).add(w.mul(1e-4f));
                    ai.djl.ndarray.NDArray nw = w.sub(gw.mul(0.5f));
                    ai.djl.ndarray.NDArray nb = b.sub(g.sum(new int[] {0}).mul(0.5f));
                    nw.attach(m);
                    nb.attach(m);
                    w.close();
                    b.close();
                    w = nw;
                    b = nb;
                }
            }
            return tracelens.geometry.Points.toDouble(rows(w.toFloatArray(), c, d));
        }
    }

    static float[][] rows(float[] flat, int r, int c) {
        float[][] out = new float[r][c];
        for (int i = 0; i < r; i++) {
            System.arraycopy(flat, i * c, out[i], 0, c);
        }
        return out;
    }

    @Test
    void markedRowsMoveByAlphaTimesTheirNormAlongTheirCarrier() {
        Data data = data(1);
        Carriers key = Carriers.random(10, 64, 3);
        EmbeddingMarker.Result r = EmbeddingMarker.mark(data.x(), data.y(), key, 0.1, 0.2, 4);
        assertThat(r.marked()).hasSize(500);
        java.util.Set<Integer> marked = new java.util.HashSet<>();
        for (int i : r.marked()) {
            marked.add(i);
        }
        for (int i = 0; i < data.x().length; i++) {
            double norm = 0;
            for (float v : data.x()[i]) {
                norm += v * v;
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < 64; j++) {
                double want = marked.contains(i) ? data.x()[i][j] + 0.2 * norm * key.u()[data.y()[i]][j] : data.x()[i][j];
                assertThat((double) r.rows()[i][j]).isCloseTo(want, within(1e-5));
            }
        }
        // the same seed marks the same rows
        assertThat(EmbeddingMarker.mark(data.x(), data.y(), key, 0.1, 0.2, 4).marked()).containsExactly(r.marked());
    }

    @Test
    void aHeadTrainedOnMarkedVectorsIsDetectedAndCleanHeadsAreNot() {
        // radioactive.md §6: half the items marked with alpha 0.3 -> log10 p < -5; unmarked -> p > 1e-3 in 9 of 10 seeds
        Data data = data(11);
        Carriers key = Carriers.random(10, 64, 12);
        EmbeddingMarker.Result r = EmbeddingMarker.mark(data.x(), data.y(), key, 0.5, 0.3, 13);
        Detection.Result marked = Detection.detect(tracelens.geometry.Points.toDouble(key.u()), softmaxHead(r.rows(), data.y(), 10));
        assertThat(marked.log10CombinedP()).isLessThan(-5);
        int clean = 0;
        for (int seed = 0; seed < 10; seed++) {
            Data d = data(100 + seed);
            Carriers k = Carriers.random(10, 64, 200 + seed);
            Detection.Result res = Detection.detect(tracelens.geometry.Points.toDouble(k.u()), softmaxHead(d.x(), d.y(), 10));
            clean += res.combinedP() > 1e-3 ? 1 : 0;
        }
        assertThat(clean).isGreaterThanOrEqualTo(9);
    }
}
