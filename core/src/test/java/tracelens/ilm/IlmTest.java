package tracelens.ilm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tracelens.error.InvalidInputException;

class IlmTest {
    /** pifi_ilm.md §3.2: the hand-built twins; suppressing PC1 (lambda = 1) makes every pair identical: effect 0.5. */
    @Test
    void theSpecsTwinExampleHasEffectOneHalf() {
        float[][] x = {
            {3, .5f, -.2f, .1f}, {3, -.4f, .3f, 0}, {3, .1f, .1f, -.5f}, {3, -.2f, -.2f, .4f},
            {-3, .5f, -.2f, .1f}, {-3, -.4f, .3f, 0}, {-3, .1f, .1f, -.5f}, {-3, -.2f, -.2f, .4f}};
        int[] y = {1, 1, 1, 1, 0, 0, 0, 0};
        Ilm.Result r = Ilm.run(java.util.Collections.singletonList(x), y, new Ilm.Options(3, 1, new double[] {0.5, 1.0}, 1.0));
        Ilm.Layer l = r.layers().get(0);
        assertThat(l.components()).containsExactly(0);
        assertThat(l.correlations()[0]).isCloseTo(1.0, within(1e-12));
        assertThat(l.correlations()[1]).isCloseTo(0.0, within(1e-6));
        assertThat(l.acc0()).isEqualTo(1.0);
        assertThat(l.counterfactualAccuracy()).containsExactly(1.0, 0.5);
        assertThat(l.effect()).isEqualTo(0.5);
    }

    /** Effects are multiples of 1/n in [0, 1]; a layer carrying the label planted on three axes wins. */
    @Test
    void effectsAreMultiplesOfOneOverNAndThePlantedLayerIsChosen() {
        Random r = new Random(3);
        int n = 120;
        int d = 24;
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(2);
        }
        List<float[][]> layers = new ArrayList<>();
        for (int l = 0; l < 5; l++) {
            float[][] x = new float[n][d];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    x[i][j] = (float) r.nextGaussian();
                }
                if (l == 3) { // the label on three axes, above the noise
                    for (int j = 0; j < 3; j++) {
                        x[i][j] += (y[i] == 1 ? 2.5f : -2.5f);
                    }
                }
            }
            layers.add(x);
        }
        Ilm.Result res = Ilm.run(layers, y, Ilm.Options.defaults());
        for (double e : res.effects()) {
            assertThat(e).isBetween(0.0, 1.0);
            assertThat(Math.abs(e * n - Math.rint(e * n))).isLessThan(1e-9);
        }
        assertThat(res.bestLayer()).isEqualTo(3);
        assertThat(res.effects()[3]).isGreaterThan(0.3);
        for (int l : new int[] {0, 1, 2, 4}) {
            assertThat(res.effects()[l]).as("noise layer %d", l).isLessThan(0.1);
        }
    }

    /** The effect grows with the planted signal; multi-class labels use the one-vs-rest maximum. */
    @Test
    void aStrongerSignalGivesALargerEffectAlsoWithThreeClasses() {
        Random r = new Random(9);
        int n = 150;
        int d = 16;
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % 3;
        }
        double[] effects = new double[3];
        double[] strength = {0.3, 1.0, 3.0};
        for (int s = 0; s < 3; s++) {
            float[][] x = new float[n][d];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) {
                    x[i][j] = (float) r.nextGaussian();
                }
                x[i][y[i]] += (float) strength[s] * 2;
            }
            effects[s] = Ilm.run(java.util.Collections.singletonList(x), y, Ilm.Options.defaults()).effects()[0];
        }
        assertThat(effects[2]).isGreaterThan(effects[0]);
        assertThat(effects[2]).isGreaterThan(0.3);
    }

    @Test
    void badSettingsAreRefusedNamingTheField() {
        float[][] x = new float[8][3];
        int[] one = new int[8];
        assertThatThrownBy(() -> Ilm.run(java.util.Collections.singletonList(x), one, Ilm.Options.defaults())).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("labels have a single class");
        assertThatThrownBy(() -> new Ilm.Options(4, 5, new double[] {1}, 1)).hasMessageContaining("top_pc must be in 1..4");
        int[] two = {0, 1, 0, 1, 0, 1, 0, 1};
        assertThatThrownBy(() -> Ilm.run(java.util.Collections.singletonList(x), two, Ilm.Options.defaults())).hasMessageContaining("n_pcs 16 exceeds the 8 samples");
    }

    @Test
    void gramEqualsPlainDotProductsBitForBit() {
        Random r = new Random(5);
        for (int n : new int[] {1, 4, 13}) {
            double[][] x = new double[n][7];
            for (double[] row : x) {
                for (int k = 0; k < row.length; k++) {
                    row[k] = r.nextGaussian();
                }
            }
            org.ejml.data.DMatrixRMaj g = Ilm.gram(x);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double s = 0;
                    for (int k = 0; k < 7; k++) {
                        s += x[i][k] * x[j][k];
                    }
                    assertThat(g.get(i, j)).as("n %d (%d, %d)", n, i, j).isEqualTo(s);
                }
            }
        }
    }
}
