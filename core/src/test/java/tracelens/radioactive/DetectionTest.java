package tracelens.radioactive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.testing.CliRun;

class DetectionTest {
    @TempDir
    Path dir;

    static double[][] gaussian(Random r, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (double[] row : m) {
            for (int j = 0; j < cols; j++) {
                row[j] = r.nextGaussian();
            }
        }
        return m;
    }

    static double[][] mark(double[][] w, double[][] u, double alpha) {
        double[][] out = new double[w.length][];
        for (int k = 0; k < w.length; k++) {
            double nu = 0;
            double nw = 0;
            for (int j = 0; j < u[k].length; j++) {
                nu += u[k][j] * u[k][j];
                nw += w[k][j] * w[k][j];
            }
            out[k] = new double[w[k].length];
            for (int j = 0; j < w[k].length; j++) {
                out[k][j] = w[k][j] + alpha * Math.sqrt(nw / nu) * u[k][j];
            }
        }
        return out;
    }

    @Test
    void aMarkedClassifierIsDetectedAndACleanOneIsNot() {
        Random r = new Random(1);
        double[][] u = gaussian(r, 10, 128);
        double[][] clean = gaussian(r, 10, 128);
        Detection.Result marked = Detection.detect(u, mark(clean, u, 0.5));
        Detection.Result none = Detection.detect(u, clean);
        assertThat(marked.log10CombinedP()).isLessThan(-10);
        assertThat(none.combinedP()).isGreaterThan(1e-3);
        for (int k = 0; k < 10; k++) {
            assertThat(marked.cosines()[k]).isGreaterThan(none.cosines()[k]);
        }
    }

    /** A suspect whose features are a rotation of the marker's is aligned back: same cosines as testing in place. */
    @Test
    void alignmentRecoversARotatedFeatureSpace() {
        Random r = new Random(2);
        int d = 16;
        double[][] u = gaussian(r, 5, d);
        double[][] w = mark(gaussian(r, 5, d), u, 0.8);
        double[][] rot = orthogonal(r, d);
        double[][] fm = gaussian(r, 200, d);
        double[][] ft = multiply(fm, rot);
        double[][] wt = multiply(w, rot); // the suspect's classifier acts on its own (rotated) features
        Detection.Result direct = Detection.detect(u, w);
        Detection.Result aligned = Detection.detect(u, wt, fm, ft);
        for (int k = 0; k < 5; k++) {
            assertThat(aligned.cosines()[k]).isCloseTo(direct.cosines()[k], within(1e-9));
        }
        assertThat(aligned.alignmentResidual()).isLessThan(1e-18 * 200 * d + 1e-15);
    }

    /**
     * Held-out features with a nearly empty direction (variance 1e-12 of the others) and a suspect whose features carry
     * a little noise: plain least squares inflates M along that direction and the moved classifier follows it,
     * whatever was learnt; a small ridge recovers the cosines of the exact alignment. Without noise both agree.
     */
    @Test
    void ridgeKeepsAnIllConditionedAlignmentOnTheLearntClassifier() {
        Random r = new Random(3);
        int d = 16;
        double[][] u = gaussian(r, 5, d);
        double[][] w = mark(gaussian(r, 5, d), u, 0.8);
        double[][] rot = orthogonal(r, d);
        double[][] fm = gaussian(r, 100, d);
        for (double[] row : fm) {
            row[d - 1] *= 1e-6;
        }
        double[][] ft = multiply(fm, rot);
        Detection.Result exact = Detection.detect(u, multiply(w, rot), fm, ft, 0);
        Detection.Result exactRidge = Detection.detect(u, multiply(w, rot), fm, ft, 1e-16);
        for (double[] row : ft) {
            for (int j = 0; j < d; j++) {
                row[j] += 1e-3 * r.nextGaussian();
            }
        }
        Detection.Result plain = Detection.detect(u, multiply(w, rot), fm, ft, 0);
        Detection.Result ridge = Detection.detect(u, multiply(w, rot), fm, ft, 1e-6);
        // what the held-out data can tell: the classifier without its component along the empty direction
        double[][] seen = new double[5][];
        for (int k = 0; k < 5; k++) {
            seen[k] = w[k].clone();
            seen[k][d - 1] = 0;
        }
        Detection.Result informative = Detection.detect(u, seen);
        double plainError = 0;
        double ridgeError = 0;
        for (int k = 0; k < 5; k++) {
            assertThat(exactRidge.cosines()[k]).isCloseTo(exact.cosines()[k], within(1e-4)); // normal equations: kappa 1e10
            plainError = Math.max(plainError, Math.abs(plain.cosines()[k] - informative.cosines()[k]));
            ridgeError = Math.max(ridgeError, Math.abs(ridge.cosines()[k] - informative.cosines()[k]));
        }
        assertThat(plainError).isGreaterThan(0.1);
        assertThat(ridgeError).isLessThan(0.01);
    }

    @Test
    void theCommandPrintsTheKeysAndRefusesBadInput() throws Exception {
        Random r = new Random(3);
        double[][] u = gaussian(r, 4, 32);
        Path carriers = csv("u.csv", u);
        Path classifier = csv("w.csv", mark(gaussian(r, 4, 32), u, 0.6));
        CliRun run = CliRun.of("radioactive", "detect", "--carriers", carriers.toString(), "--classifier", classifier.toString(), "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(run.out());
        assertThat(j.get("cosines")).hasSize(4);
        assertThat(j.get("p_values")).hasSize(4);
        assertThat(j.get("combined_p_value").asDouble()).isBetween(0.0, 1.0);
        assertThat(j.get("log10_combined_p_value").asDouble()).isLessThan(-2);

        CliRun classes = CliRun.of("radioactive", "detect", "--carriers", carriers.toString(), "--classifier",
                csv("w3.csv", gaussian(r, 3, 32)).toString());
        assertThat(classes.exitCode()).isEqualTo(2);
        assertThat(classes.err()).contains("--classifier has 3 classes, the carriers 4");
        CliRun dims = CliRun.of("radioactive", "detect", "--carriers", carriers.toString(), "--classifier",
                csv("w16.csv", gaussian(r, 4, 16)).toString());
        assertThat(dims.exitCode()).isEqualTo(2);
        assertThat(dims.err()).contains("16 dimensions, the carriers 32");
        Path nan = dir.resolve("nan.csv");
        Files.writeString(nan, "1,2\nNaN,3\n");
        CliRun bad = CliRun.of("radioactive", "detect", "--carriers", nan.toString(), "--classifier", nan.toString());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("nan.csv");
    }

    Path csv(String name, double[][] m) throws Exception {
        List<String> lines = new ArrayList<>();
        for (double[] row : m) {
            StringBuilder b = new StringBuilder();
            for (int j = 0; j < row.length; j++) {
                b.append(j == 0 ? "" : ",").append(row[j]);
            }
            lines.add(b.toString());
        }
        return Files.write(dir.resolve(name), lines);
    }

    static double[][] multiply(double[][] a, double[][] b) {
        double[][] out = new double[a.length][b[0].length];
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < b.length; k++) {
                for (int j = 0; j < b[0].length; j++) {
                    out[i][j] += a[i][k] * b[k][j];
                }
            }
        }
        return out;
    }

    /** A random orthogonal matrix (Gram-Schmidt of Gaussian columns). */
    static double[][] orthogonal(Random r, int d) {
        double[][] q = gaussian(r, d, d);
        for (int i = 0; i < d; i++) {
            for (int k = 0; k < i; k++) {
                double dot = 0;
                for (int j = 0; j < d; j++) {
                    dot += q[i][j] * q[k][j];
                }
                for (int j = 0; j < d; j++) {
                    q[i][j] -= dot * q[k][j];
                }
            }
            double n = 0;
            for (int j = 0; j < d; j++) {
                n += q[i][j] * q[i][j];
            }
            for (int j = 0; j < d; j++) {
                q[i][j] /= Math.sqrt(n);
            }
        }
        return q;
    }
}
