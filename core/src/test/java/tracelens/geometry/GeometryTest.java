package tracelens.geometry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Analytic values and invariances of geometry.md §10. */
class GeometryTest {
    static double[][] diag(double... d) {
        double[][] c = new double[d.length][d.length];
        for (int i = 0; i < d.length; i++) {
            c[i][i] = d[i];
        }
        return c;
    }

    static double[][] gaussian(int m, int n, long seed) {
        Random r = new Random(seed);
        double[][] p = new double[m][n];
        for (double[] row : p) {
            for (int j = 0; j < n; j++) {
                row[j] = r.nextGaussian() * (j + 1);
            }
        }
        return p;
    }

    @Test
    void closedFormValues() {
        assertThat(IsoScore.ofCovariance(diag(2, 1, 1, 1, 1, 1, 1, 1, 1, 1))).isCloseTo(12.0 / 13, within(1e-9));
        assertThat(IsoScore.ofCovariance(diag(10, 1, 1, 1, 1, 1, 1, 1, 1, 1))).isCloseTo(28.0 / 109, within(1e-9));
        assertThat(IsoScore.ofCovariance(diag(4, 1, 1, 1))).isCloseTo(10.0 / 19, within(1e-9));
        assertThat(IsoScore.ofCovariance(diag(1, 1, 1, 0, 0))).as("k = 3 of n = 5").isCloseTo(2.0 / 4, within(1e-9));
        assertThat(IsoScore.ofCovariance(IsoScore.identity(7))).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void pointSetsWithKnownCovariance() {
        // a line scores 0, whatever its offset
        double[][] line = new double[50][4];
        for (int i = 0; i < 50; i++) {
            for (int j = 0; j < 4; j++) {
                line[i][j] = 3 + i * (j + 1);
            }
        }
        assertThat(IsoScore.of(line)).isCloseTo(0, within(1e-9));
        // the 2^3 cube corners have sample covariance proportional to I: score 1
        double[][] cube = new double[8][3];
        for (int i = 0; i < 8; i++) {
            for (int j = 0; j < 3; j++) {
                cube[i][j] = ((i >> j) & 1) == 1 ? 1 : -1;
            }
        }
        assertThat(IsoScore.of(cube)).isCloseTo(1, within(1e-9));
        // cube in 2 of 4 dimensions: k = 2 equal variances of n = 4 -> 1/3
        double[][] square = new double[4][4];
        for (int i = 0; i < 4; i++) {
            square[i][0] = (i & 1) == 1 ? 1 : -1;
            square[i][1] = (i & 2) == 2 ? 1 : -1;
        }
        assertThat(IsoScore.of(square)).isCloseTo(1.0 / 3, within(1e-9));
    }

    @Test
    void invariancesAndScaleSafety() {
        double[][] p = gaussian(40, 6, 1);
        double base = IsoScore.of(p);
        double[][] moved = new double[40][6];
        double[][] scaled = new double[40][6];
        double[][] tiny = new double[40][6];
        double[][] rotated = new double[40][6];
        double c = Math.cos(0.7), s = Math.sin(0.7);
        for (int i = 0; i < 40; i++) {
            for (int j = 0; j < 6; j++) {
                moved[i][j] = p[i][j] + 1e3;
                scaled[i][j] = p[i][j] * 1e150;
                tiny[i][j] = p[i][j] * 1e-150;
                rotated[i][j] = p[i][j];
            }
            rotated[i][0] = c * p[i][0] - s * p[i][1];
            rotated[i][1] = s * p[i][0] + c * p[i][1];
        }
        assertThat(IsoScore.of(moved)).isCloseTo(base, within(1e-9));
        assertThat(IsoScore.of(scaled)).isCloseTo(base, within(1e-9));
        assertThat(IsoScore.of(tiny)).isCloseTo(base, within(1e-9));
        assertThat(IsoScore.of(rotated)).isCloseTo(base, within(1e-9));
        double[][] reversed = new double[40][];
        for (int i = 0; i < 40; i++) {
            reversed[i] = p[39 - i];
        }
        assertThat(IsoScore.of(reversed)).isCloseTo(base, within(1e-9));
    }

    @Test
    void isoScoreStarInterpolates() {
        double[][] p = gaussian(10, 8, 2);
        double[][] eye = IsoScore.identity(8);
        assertThat(IsoScore.star(p, eye, 0)).isCloseTo(IsoScore.of(p), within(1e-7));
        assertThat(IsoScore.star(p, eye, 1)).isCloseTo(1, within(1e-7));
        assertThat(IsoScore.star(p, diag(4, 1, 1, 1, 1, 1, 1, 1), 1)).isCloseTo(IsoScore.ofCovariance(diag(4, 1, 1, 1, 1, 1, 1, 1)), within(1e-7));
        double mid = IsoScore.star(p, eye, 0.5);
        assertThat(mid).isBetween(IsoScore.of(p), 1.0);
        assertThatThrownBy(() -> IsoScore.star(p, eye, 1.5)).hasMessageContaining("zeta");
        assertThatThrownBy(() -> IsoScore.star(p, IsoScore.identity(3), 0.5)).hasMessageContaining("C0 is 3 x 3");
        double[][] same = new double[5][3];
        assertThat(IsoScore.of(same)).as("all points identical").isNaN();
    }

    @Test
    void cosineMeasuresByHand() {
        double[][] p = {{1, 0}, {0, 2}, {3, 3}};
        // unit rows: (1,0), (0,1), (1/sqrt2, 1/sqrt2); s = (1 + r, 1 + r), |s|^2 = 2 (1 + r)^2, r = 1/sqrt2
        double r = 1 / Math.sqrt(2);
        double sq = 2 * (1 + r) * (1 + r);
        assertThat(Cosine.cosReg(p)).isCloseTo((sq - 3) / 9, within(1e-12));
        assertThat(Cosine.meanDistinct(p)).isCloseTo((sq - 3) / 6, within(1e-12));
        assertThatThrownBy(() -> Cosine.cosReg(new double[][] {{0, 0}, {1, 1}})).hasMessageContaining("zero vector");
    }

    @Test
    void meanCosineOverDistinctPairsMatchesTheDefinition() {
        double[][] x = {{1, 0}, {0, 1}, {1, 1}, {-1, 0.5}};
        double sum = 0;
        int pairs = 0;
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < x.length; j++) {
                if (i != j) {
                    double dot = x[i][0] * x[j][0] + x[i][1] * x[j][1];
                    sum += dot / Math.hypot(x[i][0], x[i][1]) / Math.hypot(x[j][0], x[j][1]);
                    pairs++;
                }
            }
        }
        assertThat(Cosine.meanDistinct(x)).isCloseTo(sum / pairs, within(1e-12));
        assertThat(Cosine.meanDistinct(new double[][] {{2, 0}, {3, 0}})).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void streamedCovarianceEqualsTheTwoPassOne() {
        double[][] p = gaussian(60, 5, 9);
        Covariance.Accumulator acc = new Covariance.Accumulator();
        for (double[] row : p) {
            float[] f = new float[row.length];
            for (int j = 0; j < row.length; j++) {
                f[j] = (float) (row[j] + 1e4); // a large offset: the shift keeps the cancellation away
                row[j] = f[j];
            }
            acc.add(f);
        }
        double[][] streamed = acc.build();
        double[][] twoPass = Covariance.of(p);
        for (int a = 0; a < 5; a++) {
            for (int b = 0; b < 5; b++) {
                assertThat(streamed[a][b]).isCloseTo(twoPass[a][b], within(1e-9 * Math.max(1, Math.abs(twoPass[a][b]))));
            }
        }
    }

    @Test
    void twoNnAndMleFindTheDimensionOfUniformCubes() {
        Random r = new Random(5);
        double[][] p = new double[3000][3];
        for (double[] row : p) {
            for (int j = 0; j < 3; j++) {
                row[j] = r.nextDouble();
            }
        }
        double fixed = IntrinsicDimension.twoNn(p, IntrinsicDimension.TwoNnVariant.FIXED);
        double legacy = IntrinsicDimension.twoNn(p, IntrinsicDimension.TwoNnVariant.LEGACY);
        assertThat(fixed).isCloseTo(3, within(0.25));
        assertThat(Math.abs(fixed - legacy)).isLessThan(0.02);
        // a 2-D plane embedded in 5-D (rotated and shifted): still about 2
        double[][] plane = new double[1500][5];
        for (double[] row : plane) {
            double a = r.nextDouble();
            double b = r.nextDouble();
            row[0] = a + b;
            row[1] = a - b;
            row[2] = 2 * a;
            row[3] = 7;
            row[4] = -b;
        }
        assertThat(IntrinsicDimension.twoNn(plane, IntrinsicDimension.TwoNnVariant.FIXED)).isCloseTo(2, within(0.2));
        assertThat(IntrinsicDimension.mle(plane, 20)).isCloseTo(2, within(0.3));
        assertThatThrownBy(() -> IntrinsicDimension.mle(new double[][] {{1, 1}, {1, 1}, {2, 3}}, 20)).hasMessageContaining("duplicate");
    }

    @Test
    void varExIsOneForIsotropicDataAndSmallerWhenVarianceConcentrates() {
        double[][] cube = new double[16][4];
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 4; j++) {
                cube[i][j] = ((i >> j) & 1) == 1 ? 1 : -1;
            }
        }
        assertThat(VarEx.of(cube)).isCloseTo(1, within(1e-9));
        // variances 9, 1, 1, 1 in n = 4: k = 1, top share 9/12 -> (1/4)/(3/4) = 1/3
        double[][] stretched = new double[16][4];
        for (int i = 0; i < 16; i++) {
            for (int j = 0; j < 4; j++) {
                stretched[i][j] = cube[i][j] * (j == 0 ? 3 : 1);
            }
        }
        assertThat(VarEx.of(stretched)).isCloseTo(1.0 / 3, within(1e-9));
    }

    @Test
    void torchFaithfulConstantsDifferByLessThanTheTolerance() {
        double[][] line = new double[20][5]; // sqrt(5) is not a float32: the constants round
        for (int i = 0; i < 20; i++) {
            for (int j = 0; j < 5; j++) {
                line[i][j] = i * (j + 1) + 3;
            }
        }
        double[][] c = Covariance.of(line);
        assertThat(IsoScore.starOfCovariance(c, null, 0)).isCloseTo(0, within(1e-12));
        double faithful = IsoScore.starTorchFaithful(c, null, 0);
        assertThat(faithful).isNotEqualTo(0.0).isCloseTo(0, within(1e-7)); // "about 1e-8 instead of 0" (geometry.md §3.1)
        double[][] p = gaussian(40, 7, 12);
        double[][] c0 = Covariance.of(gaussian(30, 7, 13));
        for (double zeta : new double[] {0, 0.2, 0.75, 1}) {
            assertThat(IsoScore.starTorchFaithful(Covariance.of(p), c0, zeta))
                    .isCloseTo(IsoScore.star(p, c0, zeta), within(1e-7));
        }
    }

    @Test
    void shrinkageTargetMustBeSymmetricPositiveSemiDefinite() {
        IsoScore.checkShrinkageTarget(Covariance.of(gaussian(5, 8, 1))); // rank 4 of 8: PSD, fine
        assertThatThrownBy(() -> IsoScore.checkShrinkageTarget(new double[][] {{1, 0.5}, {0.4, 1}}))
                .hasMessageContaining("not symmetric");
        assertThatThrownBy(() -> IsoScore.checkShrinkageTarget(new double[][] {{1, 2}, {2, 1}}))
                .hasMessageContaining("not positive semi-definite");
    }
}
