package tracelens.sip;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

class TsneTest {
    @Test
    void separatedClustersStaySeparatedAndTheMapIsSeeded() {
        int k = 3, per = 60, d = 50;
        Random r = new Random(4);
        float[][] x = new float[k * per][d];
        int[] y = new int[k * per];
        for (int i = 0; i < x.length; i++) {
            y[i] = i / per;
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) (r.nextGaussian() + (j == y[i] ? 10 : 0));
            }
        }
        float[][] map = Tsne.embed(x, 30, 500, 1);
        int agree = 0;
        for (int i = 0; i < map.length; i++) { // 5-nearest-neighbour label agreement in the map
            double[] best = new double[5];
            int[] who = new int[5];
            java.util.Arrays.fill(best, Double.POSITIVE_INFINITY);
            for (int j = 0; j < map.length; j++) {
                if (j == i) {
                    continue;
                }
                double dd = Math.pow(map[i][0] - map[j][0], 2) + Math.pow(map[i][1] - map[j][1], 2);
                for (int s = 0; s < 5; s++) {
                    if (dd < best[s]) {
                        System.arraycopy(best, s, best, s + 1, 4 - s);
                        System.arraycopy(who, s, who, s + 1, 4 - s);
                        best[s] = dd;
                        who[s] = j;
                        break;
                    }
                }
            }
            for (int w : who) {
                if (y[w] == y[i]) {
                    agree++;
                }
            }
        }
        assertThat(agree / (5.0 * map.length)).isGreaterThan(0.95);
        assertThat(Tsne.embed(x, 30, 50, 1)[7]).containsExactly(Tsne.embed(x, 30, 50, 1)[7]);
        // rows of P: each row's conditional distribution has the requested perplexity before symmetrisation
        double[][] p = Tsne.affinities(new double[][] {{0, 1, 4}, {1, 0, 1}, {4, 1, 0}}, 1.5);
        assertThat(p[0][1]).isEqualTo(p[1][0]);
    }
}
