package tracelens.losses;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tracelens.runtime.DjlRuntime;

/** supcon.md §7-8. */
class SupConLossTest {
    static final double[][][] EXAMPLE = {
        {{1.0, 0.0}, {0.6, 0.8}},
        {{0.0, 1.0}, {-0.6, 0.8}},
        {{0.8, 0.6}, {1.0, 0.0}}};

    static float[] flat(double[][][] f) {
        int b = f.length, v = f[0].length, d = f[0][0].length;
        float[] out = new float[b * v * d];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < v; j++) {
                for (int k = 0; k < d; k++) {
                    out[(i * v + j) * d + k] = (float) f[i][j][k];
                }
            }
        }
        return out;
    }

    static double engine(double[][][] f, int[] labels, double[][] mask, double tau, double base, SupConLoss.Mode mode) {
        try (NDManager m = DjlRuntime.manager()) {
            var arr = m.create(flat(f), new Shape(f.length, f[0].length, f[0][0].length));
            return SupConLoss.loss(arr, labels, mask, (float) tau, (float) base, mode).getFloat();
        }
    }

    @Test
    void workedExample() {
        assertThat(SupConLoss.reference(EXAMPLE, new int[] {0, 1, 0}, null, 1, 1, SupConLoss.Mode.ALL)).isCloseTo(1.3134350981200815, within(1e-12));
        assertThat(engine(EXAMPLE, new int[] {0, 1, 0}, null, 1, 1, SupConLoss.Mode.ALL)).isCloseTo(1.3134350981200815, within(1e-6));
    }

    static double[][][] random(Random r, int b, int v, int d) {
        double[][][] f = new double[b][v][d];
        for (double[][] s : f) {
            for (double[] x : s) {
                double norm = 0;
                for (int k = 0; k < d; k++) {
                    x[k] = r.nextGaussian();
                    norm += x[k] * x[k];
                }
                for (int k = 0; k < d; k++) {
                    x[k] /= Math.sqrt(norm);
                }
            }
        }
        return f;
    }

    @Test
    void loopAndEngineAgreeAcrossShapesModesAndMasks() {
        Random r = new Random(3);
        for (int b = 1; b <= 8; b++) {
            for (int v = 1; v <= 3; v++) {
                if (b * v < 2) {
                    continue;
                }
                for (int d : new int[] {2, 16}) {
                    double[][][] f = random(r, b, v, d);
                    int[] labels = new int[b];
                    double[][] mask = new double[b][b];
                    for (int i = 0; i < b; i++) {
                        labels[i] = r.nextInt(3);
                        for (int j = 0; j < b; j++) {
                            mask[i][j] = r.nextBoolean() ? 1 : 0;
                        }
                    }
                    for (SupConLoss.Mode mode : SupConLoss.Mode.values()) {
                        for (int variant = 0; variant < 3; variant++) {
                            int[] l = variant == 1 ? labels : null;
                            double[][] mk = variant == 2 ? mask : null;
                            double ref = SupConLoss.reference(f, l, mk, 0.5, 0.5, mode);
                            assertThat(engine(f, l, mk, 0.5, 0.5, mode)).as("B=%d V=%d D=%d %s variant %d", b, v, d, mode, variant)
                                    .isCloseTo(ref, within(1e-5 * Math.max(1, Math.abs(ref))));
                        }
                    }
                }
            }
        }
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void propertiesOfTheReference() {
        Random r = new Random(4);
        double[][][] f = random(r, 5, 2, 8);
        int[] labels = {0, 1, 0, 2, 1};
        double l = SupConLoss.reference(f, labels, null, 0.5, 0.5, SupConLoss.Mode.ALL);
        assertThat(SupConLoss.reference(f, labels, null, 0.5, 0.07, SupConLoss.Mode.ALL)).isCloseTo(l * 0.5 / 0.07, within(1e-12));
        // SimCLR: no labels and no mask is labels 0..B-1
        assertThat(SupConLoss.reference(f, null, null, 0.5, 0.5, SupConLoss.Mode.ALL))
                .isCloseTo(SupConLoss.reference(f, new int[] {0, 1, 2, 3, 4}, null, 0.5, 0.5, SupConLoss.Mode.ALL), within(1e-12));
        // anchors without positives count as 0 in the mean: labels [0,1,1,2], V = 1
        double[][][] g = random(r, 4, 1, 3);
        double all = SupConLoss.reference(g, new int[] {0, 1, 1, 2}, null, 1, 1, SupConLoss.Mode.ALL);
        // by hand (tau = 1): l_a = log sum_{k != a} exp(z_a . z_k) - z_a . z_positive
        double l1 = Math.log(Math.exp(dot(g[1][0], g[0][0])) + Math.exp(dot(g[1][0], g[2][0])) + Math.exp(dot(g[1][0], g[3][0])))
                - dot(g[1][0], g[2][0]);
        double l2 = Math.log(Math.exp(dot(g[2][0], g[0][0])) + Math.exp(dot(g[2][0], g[1][0])) + Math.exp(dot(g[2][0], g[3][0])))
                - dot(g[2][0], g[1][0]);
        assertThat(all).isCloseTo((l1 + l2) / 4, within(1e-12));
        // permuting samples (features and labels together) changes nothing
        double[][][] perm = {f[4], f[3], f[2], f[1], f[0]};
        assertThat(SupConLoss.reference(perm, new int[] {1, 2, 0, 1, 0}, null, 0.5, 0.5, SupConLoss.Mode.ALL)).isCloseTo(l, within(1e-12));
        assertThatThrownBy(() -> SupConLoss.reference(f, labels, new double[5][5], 1, 1, SupConLoss.Mode.ALL)).hasMessageContaining("not both");
        assertThatThrownBy(() -> SupConLoss.reference(new double[][][] {{{1, 0}}}, null, null, 1, 1, SupConLoss.Mode.ALL))
                .hasMessageContaining("at least 2 contrast rows");
    }
}
