package tracelens.ilm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.ejml.simple.SimpleMatrix;
import org.junit.jupiter.api.Test;

/**
 * Our L2 logistic regression against scikit-learn 1.2.1's LogisticRegression(C=1) (fixture made by
 * src/test/resources/fixtures/ilm/make_logreg_fixture.py) and against a plain full-Hessian Newton solve in double.
 */
class LogisticRegressionTest {
    static JsonNode fixture() throws Exception {
        try (InputStream in = LogisticRegressionTest.class.getResourceAsStream("/fixtures/ilm/logreg.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static double[][] matrix(JsonNode n) {
        double[][] m = new double[n.size()][];
        for (int i = 0; i < n.size(); i++) {
            m[i] = new double[n.get(i).size()];
            for (int j = 0; j < m[i].length; j++) {
                m[i][j] = n.get(i).get(j).asDouble();
            }
        }
        return m;
    }

    static int[] ints(JsonNode n) {
        int[] v = new int[n.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = n.get(i).asInt();
        }
        return v;
    }

    @Test
    void matchesScikitLearnsCoefficients() throws Exception {
        JsonNode f = fixture();
        for (String name : new String[] {"binary", "binary_wide", "multinomial"}) {
            JsonNode c = f.get(name);
            int[] y = ints(c.get("y"));
            int classes = name.equals("multinomial") ? 3 : 2;
            LogisticRegression lr = LogisticRegression.fit(matrix(c.get("X")), y, classes, 1.0);
            double[][] want = matrix(c.get("coef"));
            for (int k = 0; k < want.length; k++) {
                for (int j = 0; j < want[k].length; j++) {
                    assertThat(lr.weights()[k][j]).as("%s coef[%d][%d]", name, k, j).isCloseTo(want[k][j], within(1e-6));
                }
                assertThat(lr.intercepts()[k]).as("%s intercept[%d]", name, k)
                        .isCloseTo(c.get("intercept").get(k).asDouble(), within(1e-6));
            }
        }
    }

    /** The Woodbury Newton equals a textbook Newton on the full (d + 1) x (d + 1) Hessian, also when d > n. */
    @Test
    void matchesAFullHessianNewtonSolve() throws Exception {
        JsonNode c = fixture().get("binary_wide");
        double[][] x = matrix(c.get("X"));
        int[] y = ints(c.get("y"));
        int n = x.length;
        int d = x[0].length;
        double[] theta = new double[d + 1];
        for (int it = 0; it < 50; it++) {
            SimpleMatrix h = new SimpleMatrix(d + 1, d + 1);
            SimpleMatrix g = new SimpleMatrix(d + 1, 1);
            for (int j = 0; j < d; j++) {
                h.set(j, j, 1);
                g.set(j, 0, theta[j]);
            }
            for (int i = 0; i < n; i++) {
                double z = theta[d];
                for (int j = 0; j < d; j++) {
                    z += theta[j] * x[i][j];
                }
                double p = 1 / (1 + Math.exp(-z));
                for (int a = 0; a <= d; a++) {
                    double xa = a < d ? x[i][a] : 1;
                    g.set(a, 0, g.get(a, 0) + (p - y[i]) * xa);
                    for (int b = 0; b <= d; b++) {
                        double xb = b < d ? x[i][b] : 1;
                        h.set(a, b, h.get(a, b) + p * (1 - p) * xa * xb);
                    }
                }
            }
            SimpleMatrix step = h.solve(g);
            for (int j = 0; j <= d; j++) {
                theta[j] -= step.get(j, 0);
            }
        }
        LogisticRegression lr = LogisticRegression.fit(x, y, 2, 1.0);
        for (int j = 0; j < d; j++) {
            assertThat(lr.weights()[0][j]).isCloseTo(theta[j], within(1e-9));
        }
        assertThat(lr.intercepts()[0]).isCloseTo(theta[d], within(1e-9));
    }

    /**
     * The multinomial objective's products (vectorised a*x + y loops) sum every entry in EJML's order: the fit equals,
     * bit for bit, L-BFGS on the same objective written with EJML's multTransB and multTransA.
     */
    @Test
    void multinomialFitEqualsTheEjmlObjectiveBitForBit() {
        java.util.Random r = new java.util.Random(5);
        int n = 61;
        int d = 13;
        int k = 5;
        double[][] x = new double[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % k;
            for (int j = 0; j < d; j++) {
                x[i][j] = r.nextGaussian() + (j == y[i] ? 1.5 : 0);
            }
        }
        double c = 0.7;
        LogisticRegression fit = LogisticRegression.multinomial(x, y, k, c);
        org.ejml.data.DMatrixRMaj xa = new org.ejml.data.DMatrixRMaj(n, d + 1);
        for (int i = 0; i < n; i++) {
            System.arraycopy(x[i], 0, xa.data, i * (d + 1), d);
            xa.data[i * (d + 1) + d] = 1;
        }
        LogisticRegression.Objective ejml = theta -> {
            org.ejml.data.DMatrixRMaj t = org.ejml.data.DMatrixRMaj.wrap(k, d + 1, theta);
            org.ejml.data.DMatrixRMaj z = new org.ejml.data.DMatrixRMaj(n, k);
            org.ejml.dense.row.CommonOps_DDRM.multTransB(xa, t, z);
            double f = 0;
            for (int cl = 0; cl < k; cl++) {
                for (int j = 0; j < d; j++) {
                    f += 0.5 * theta[cl * (d + 1) + j] * theta[cl * (d + 1) + j];
                }
            }
            for (int i = 0; i < n; i++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int cl = 0; cl < k; cl++) {
                    max = Math.max(max, z.data[i * k + cl]);
                }
                double sum = 0;
                for (int cl = 0; cl < k; cl++) {
                    sum += Math.exp(z.data[i * k + cl] - max);
                }
                double lse = max + Math.log(sum);
                f += c * (lse - z.data[i * k + y[i]]);
                for (int cl = 0; cl < k; cl++) {
                    z.data[i * k + cl] = c * (Math.exp(z.data[i * k + cl] - lse) - (cl == y[i] ? 1 : 0));
                }
            }
            org.ejml.data.DMatrixRMaj g = new org.ejml.data.DMatrixRMaj(k, d + 1);
            org.ejml.dense.row.CommonOps_DDRM.multTransA(z, xa, g);
            for (int cl = 0; cl < k; cl++) {
                for (int j = 0; j < d; j++) {
                    g.data[cl * (d + 1) + j] += theta[cl * (d + 1) + j];
                }
            }
            return new double[][] {{f}, g.data};
        };
        double[] theta = LogisticRegression.Lbfgs.minimise(ejml, new double[k * (d + 1)], 1e-8, 20_000);
        for (int cl = 0; cl < k; cl++) {
            for (int j = 0; j < d; j++) {
                assertThat(Double.doubleToRawLongBits(fit.weights()[cl][j])).as("w[%d][%d]", cl, j)
                        .isEqualTo(Double.doubleToRawLongBits(theta[cl * (d + 1) + j]));
            }
            assertThat(Double.doubleToRawLongBits(fit.intercepts()[cl])).isEqualTo(Double.doubleToRawLongBits(theta[cl * (d + 1) + d]));
        }
    }
}
