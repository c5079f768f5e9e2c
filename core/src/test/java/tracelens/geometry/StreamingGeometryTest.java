package tracelens.geometry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;
import tracelens.model.SafeTensors;
import tracelens.model.SafeTensorsWriter;
import tracelens.runtime.DjlRuntime;

class StreamingGeometryTest {
    @TempDir
    Path dir;

    private static CloudSummary summary(double[][] p, int maxSample) {
        try (NDManager m = DjlRuntime.manager()) {
            return CloudSummary.of(CloudSummary.of(p), maxSample, 1, m);
        }
    }

    private static double[][] scale(double[][] p, double s, double shift) {
        double[][] out = new double[p.length][p[0].length];
        for (int i = 0; i < p.length; i++) {
            for (int j = 0; j < p[0].length; j++) {
                out[i][j] = p[i][j] * s + shift;
            }
        }
        return out;
    }

    @Test
    void streamedMeasuresEqualTheInMemoryOnes() {
        double[][] p = scale(GeometryTest.gaussian(9000, 12, 3), 1, 0.5); // more than two 4096-row blocks
        double[][] c0 = Covariance.of(GeometryTest.gaussian(50, 12, 4));
        CloudSummary s = summary(p, 100);
        assertThat(s.count()).isEqualTo(9000);
        assertThat(s.isoScore()).isCloseTo(IsoScore.of(p), within(1e-12));
        assertThat(s.isoScoreStar(c0, 0.3)).isCloseTo(IsoScore.star(p, c0, 0.3), within(1e-12));
        assertThat(s.cosReg()).isCloseTo(Cosine.cosReg(p), within(1e-12));
        assertThat(s.meanCosine()).isCloseTo(Cosine.meanDistinct(p), within(1e-12));
        assertThat(s.varEx()).isCloseTo(VarEx.of(p), within(1e-12));
        assertThat(s.sampled()).isTrue();
        assertThat(s.sample()).hasNumberOfRows(100);
        assertThat(summary(p, 100).sample()).isDeepEqualTo(s.sample()); // seeded
        assertThat(summary(p, 20000).sample()).isDeepEqualTo(p); // everything, in order, when it fits
    }

    @Test
    void engineCovarianceOfWideRowsEqualsTheDirectOneByDsyrkAndByTiles() {
        assertThat(tracelens.runtime.EngineBlas.available()).as("the pinned engine's MKL exports dsyrk").isTrue();
        double[][] p = GeometryTest.gaussian(90, 600, 5); // tiles of 256, 256 and 88 columns
        double[][] expected = Covariance.of(p);
        for (boolean syrk : new boolean[] {true, false}) {
            try (NDManager m = DjlRuntime.manager(); Covariance.Accumulator acc = new Covariance.Accumulator(syrk)) {
                ai.djl.ndarray.NDArray first = CloudSummary.of(p).block(m, 0, 50); // float64: the caller's, not to be changed
                double[] before = first.toDoubleArray();
                acc.addRows(first);
                assertThat(first.toDoubleArray()).as("the caller's rows").isEqualTo(before);
                acc.addRows(CloudSummary.of(p).block(m, 50, 40).toType(ai.djl.ndarray.types.DataType.FLOAT32, false)
                        .toType(ai.djl.ndarray.types.DataType.FLOAT64, false), true);
                double[][] c = acc.build();
                // rows 50-89 went through float32 above, so every entry carries their rounding (about 1e-7 relative)
                for (int a = 0; a < 600; a++) {
                    for (int b = 0; b < 600; b++) {
                        double want = expected[a][b];
                        assertThat(c[a][b]).as("syrk " + syrk).isCloseTo(want, within(1e-3 * (1 + Math.abs(want))));
                    }
                }
            }
        }
        // exact rows both ways: the two paths agree to rounding
        double[][] bySyrk;
        double[][] byTiles;
        try (NDManager m = DjlRuntime.manager(); Covariance.Accumulator a = new Covariance.Accumulator(true);
                Covariance.Accumulator b = new Covariance.Accumulator(false)) {
            for (Covariance.Accumulator acc : new Covariance.Accumulator[] {a, b}) {
                acc.addRows(CloudSummary.of(p).block(m, 0, 50));
                acc.addRows(CloudSummary.of(p).block(m, 50, 40));
            }
            bySyrk = a.build();
            byTiles = b.build();
        }
        double offSyrk = 0;
        double offTiles = 0;
        double apart = 0;
        for (int i = 0; i < 600; i++) {
            for (int j = 0; j < 600; j++) {
                double scaleIJ = 1 + Math.abs(expected[i][j]);
                offSyrk = Math.max(offSyrk, Math.abs(bySyrk[i][j] - expected[i][j]) / scaleIJ);
                offTiles = Math.max(offTiles, Math.abs(byTiles[i][j] - expected[i][j]) / scaleIJ);
                apart = Math.max(apart, Math.abs(bySyrk[i][j] - byTiles[i][j]) / scaleIJ);
                assertThat(bySyrk[i][j]).isEqualTo(bySyrk[j][i]);
            }
        }
        System.out.printf("covariance: dsyrk %.1e, tiles %.1e from the direct one; %.1e apart%n", offSyrk, offTiles, apart);
        assertThat(offSyrk).isLessThan(1e-10);
        assertThat(offTiles).isLessThan(1e-10);
        assertThat(apart).isLessThan(1e-10);
    }

    @Test
    void mergedMomentsGiveTheDirectCovariance() {
        double[][] p = scale(GeometryTest.gaussian(300, 40, 6), 1, 3); // an offset, so the centring matters
        double[][] expected = Covariance.of(p);
        try (NDManager m = DjlRuntime.manager()) {
            Moments a = new Moments(40).addRows(CloudSummary.of(p).block(m, 0, 120), "block 1");
            Moments b = new Moments(40).addRows(CloudSummary.of(p).block(m, 120, 180), "block 2");
            double[][] c = a.merge(b).covariance();
            for (int i = 0; i < 40; i++) {
                for (int j = 0; j < 40; j++) {
                    assertThat(c[i][j]).isCloseTo(expected[i][j], within(1e-12 * (1 + Math.abs(expected[i][j]))));
                }
            }
        }
    }

    @Test
    void extremeScalesGiveTheSameScores() {
        double[][] p = GeometryTest.gaussian(300, 5, 8);
        double[][] c0 = Covariance.of(p);
        CloudSummary base = summary(p, 0);
        for (double s : new double[] {1e150, 1e-150}) {
            CloudSummary scaled = summary(scale(p, s, 0), 0);
            assertThat(scaled.isoScore()).isCloseTo(base.isoScore(), within(1e-9));
            assertThat(scaled.cosReg()).isCloseTo(base.cosReg(), within(1e-12));
            // IsoScore* is not scale-invariant with a fixed C0; scaling P and C0 together is (geometry.md §3)
            assertThat(scaled.isoScoreStar(scale(c0, s * s, 0), 0.4)).isCloseTo(base.isoScoreStar(c0, 0.4), within(1e-9));
        }
    }

    @Test
    void edgeCasesAreClearErrors() {
        assertThatThrownBy(() -> summary(new double[][] {{1, 2}}, 10).isoScore()).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("at least 2 points");
        assertThatThrownBy(() -> summary(new double[][] {{1, 2}, {0, 0}}, 10).cosReg()).hasMessageContaining("zero vector");
        assertThatThrownBy(() -> summary(new double[][] {{1, 2}, {Double.NaN, 0}}, 10)).hasMessageContaining("row 2, column 1 is NaN");
        // in a later block (checked through its sums rather than its max) and as infinities
        double[][] p = GeometryTest.gaussian(9000, 4, 2);
        p[5000][3] = Double.NaN;
        assertThatThrownBy(() -> summary(p, 0)).hasMessageContaining("row 5001, column 4 is NaN");
        p[5000][3] = Double.NEGATIVE_INFINITY;
        assertThatThrownBy(() -> summary(p, 0)).hasMessageContaining("row 5001, column 4 is -Infinity");
        p[5000][3] = 0;
        p[8999][0] = Double.POSITIVE_INFINITY;
        assertThatThrownBy(() -> summary(p, 0)).hasMessageContaining("row 9000, column 1 is Infinity");
        assertThat(summary(new double[][] {{1, 2}, {1, 2}, {1, 2}}, 10).isoScore()).isNaN(); // zero variance
    }

    @Test
    void safetensorsRowsStreamAnyFloatType() {
        Path f = dir.resolve("a.safetensors");
        Random r = new Random(2);
        float[] v = new float[7 * 3];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("x", new long[] {7, 3});
        SafeTensorsWriter.writeAll(f, shapes, Map.of("x", v), Map.of());
        try (SafeTensors st = SafeTensors.open(f)) {
            double[] rows = st.rows("x", 2, 3);
            for (int i = 0; i < 9; i++) {
                assertThat(rows[i]).isEqualTo(v[6 + i]);
            }
        }
    }

    @Test
    void engineNeighbourSearchEqualsTheExactOne() {
        double[][] q = IntrinsicDimension.scaled(GeometryTest.gaussian(700, 24, 9));
        double[][] exact = IntrinsicDimension.neighboursExact(q, 20);
        double[][] engine = IntrinsicDimension.neighboursOnEngine(q, 20);
        for (int i = 0; i < q.length; i++) {
            assertThat(engine[i]).containsExactly(exact[i], within(1e-12));
        }
    }

    @Test
    void twoNnOfTenThousandUniformPointsInACubeIsThree() {
        Random r = new Random(11);
        double[][] p = new double[10_000][3];
        for (double[] row : p) {
            for (int j = 0; j < 3; j++) {
                row[j] = r.nextDouble();
            }
        }
        double fixed = IntrinsicDimension.twoNn(p, IntrinsicDimension.TwoNnVariant.FIXED); // engine path (N > 5000)
        double legacy = IntrinsicDimension.twoNn(p, IntrinsicDimension.TwoNnVariant.LEGACY);
        assertThat(fixed).isCloseTo(3, within(0.15));
        assertThat(legacy).isCloseTo(3, within(0.15));
        assertThat(Math.abs(fixed - legacy)).isLessThan(0.01); // geometry.md §10
    }

    @Test
    void partitionScoreAnalyticCases() {
        // rows +-e_j: every Z(e_j) = e + 1/e + (2n - 2), so I = 1 in both variants
        int n = 4;
        double[][] pm = new double[2 * n][n];
        for (int j = 0; j < n; j++) {
            pm[2 * j][j] = 1;
            pm[2 * j + 1][j] = -1;
        }
        assertThat(PartitionScore.of(pm, PartitionScore.Variant.CANONICAL)).isCloseTo(1, within(1e-12));
        assertThat(PartitionScore.of(pm, PartitionScore.Variant.SYMMETRIC)).isCloseTo(1, within(1e-12));
        // m copies of a e_1: Z(e_1) = m e^a, Z(c ⟂ e_1) = m, Z(-e_1) = m e^-a
        double a = 1.7;
        double[][] line = new double[5][3];
        for (double[] row : line) {
            row[0] = a;
        }
        assertThat(PartitionScore.of(line, PartitionScore.Variant.CANONICAL)).isCloseTo(Math.exp(-a), within(1e-12));
        assertThat(PartitionScore.of(line, PartitionScore.Variant.SYMMETRIC)).isCloseTo(Math.exp(-2 * a), within(1e-12));
    }
}
