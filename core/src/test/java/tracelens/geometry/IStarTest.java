package tracelens.geometry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tracelens.runtime.DjlRuntime;

/** geometry.md §10: the analytic I-STAR gradient against finite differences and against engine autograd. */
class IStarTest {
    @ParameterizedTest
    @CsvSource({"6, 3", "20, 8"})
    void analyticGradientMatchesFiniteDifferencesAndAutograd(int m, int n) {
        Random r = new Random(m * 31L + n);
        double[][] p = new double[m][n];
        for (double[] row : p) {
            for (int j = 0; j < n; j++) {
                row[j] = r.nextGaussian() * (1 + j);
            }
        }
        double[][] c0 = new double[n][n];
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                c0[a][b] = (a == b ? 2 : 0) + 0.1 * Math.cos(a + b);
            }
        }
        double zeta = 0.3;
        double lambda = -5;
        double[][] g = IStar.gradient(p, c0, zeta, lambda);
        double h = 1e-6;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double keep = p[i][j];
                p[i][j] = keep + h;
                double up = IStar.penalty(p, c0, zeta, lambda);
                p[i][j] = keep - h;
                double down = IStar.penalty(p, c0, zeta, lambda);
                p[i][j] = keep;
                double fd = (up - down) / (2 * h);
                assertThat(g[i][j]).as("(%d, %d)", i, j).isCloseTo(fd, within(1e-6 * Math.max(1, Math.abs(fd))));
            }
        }
        try (NDManager mgr = DjlRuntime.manager()) {
            double[] flat = new double[m * n];
            double[] c0flat = new double[n * n];
            for (int i = 0; i < m; i++) {
                System.arraycopy(p[i], 0, flat, i * n, n);
            }
            for (int a = 0; a < n; a++) {
                System.arraycopy(c0[a], 0, c0flat, a * n, n);
            }
            NDArray hArr = mgr.create(flat, new ai.djl.ndarray.types.Shape(m, n));
            hArr.setRequiresGradient(true);
            NDArray c0Arr = mgr.create(c0flat, new ai.djl.ndarray.types.Shape(n, n));
            NDArray loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                loss = IStar.penalty(hArr, c0Arr, (float) zeta, (float) lambda);
                gc.backward(loss);
            }
            assertThat(loss.getDataType()).isEqualTo(DataType.FLOAT64);
            assertThat(loss.toDoubleArray()[0]).isCloseTo(IStar.penalty(p, c0, zeta, lambda), within(1e-6));
            double[] auto = hArr.getGradient().toDoubleArray();
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    // zeta and lambda enter the engine as float32 constants: agreement to ~1e-7 relative
                    assertThat(auto[i * n + j]).as("autograd (%d, %d)", i, j).isCloseTo(g[i][j], within(1e-6 * Math.max(1, Math.abs(g[i][j]))));
                }
            }
        }
    }
}
