package tracelens.saliency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.random.Mt19937;
import tracelens.testing.CliRun;

/** parchgrad.md §8 and its corrections: the seed-21 draw of the original notebook. */
class GradientToyTest {
    @TempDir
    Path dir;

    @Test
    void theGeneratorMatchesNumpysLegacySelfTests() {
        assertThat(new Mt19937(21).next32()).isEqualTo(209271753L);
        assertThat(new Mt19937(5489).next32()).isEqualTo(3499211612L);
        // np.random.seed(0); np.random.random() = 0.5488135039273248; np.random.seed(0); np.random.randn() = 1.764052345967664
        assertThat(new Mt19937(0).nextDouble()).isEqualTo(0.5488135039273248);
        assertThat(new Mt19937(0).nextGaussian()).isCloseTo(1.764052345967664, within(1e-15));
    }

    @Test
    void seed21GivesThePublishedSums() {
        GradientToy.Result r = GradientToy.draw(21, 10, 100, GradientToy.Distribution.UNIFORM);
        assertThat(r.sumHigh()[0]).isCloseTo(-0.180500, within(5e-7));
        assertThat(r.sumHigh()[1]).isCloseTo(0.480951, within(5e-7));
        assertThat(r.sumLow()[0]).isCloseTo(0.405483, within(5e-7));
        assertThat(r.sumLow()[1]).isCloseTo(-0.255390, within(5e-7));
        assertThat(r.sumAll()[0]).isCloseTo(0.224983, within(5e-7));
        assertThat(r.sumAll()[1]).isCloseTo(0.225561, within(5e-7));
        assertThat(GradientToy.Result.norm(r.sumHigh())).isCloseTo(0.5137, within(5e-5));
        assertThat(GradientToy.Result.angle(r.sumHigh())).isCloseTo(110.57, within(5e-3));
        assertThat(GradientToy.Result.angle(r.sumLow())).isCloseTo(-32.20, within(5e-3));
        assertThat(GradientToy.Result.angle(r.sumAll())).isCloseTo(45.07, within(5e-3));
        // for this draw: S_H is dominated by dimension 2, S_L by dimension 1
        assertThat(Math.abs(r.sumHigh()[1])).isGreaterThan(Math.abs(r.sumHigh()[0]));
        assertThat(Math.abs(r.sumLow()[0])).isGreaterThan(Math.abs(r.sumLow()[1]));
    }

    /** The spread of the dim-1 sum over L is sqrt(10) times that over H (sqrt(100) 0.1/sqrt(12) vs sqrt(10) 0.1/sqrt(12)). */
    @Test
    void theLowSumSpreadsSqrtTenTimesMoreInDimensionOne() {
        double[] h = new double[2000];
        double[] l = new double[2000];
        for (int s = 0; s < h.length; s++) {
            GradientToy.Result r = GradientToy.draw(1000 + s, 10, 100, GradientToy.Distribution.UNIFORM);
            h[s] = r.sumHigh()[0];
            l[s] = r.sumLow()[0];
        }
        assertThat(sd(h)).isCloseTo(Math.sqrt(10) * 0.1 / Math.sqrt(12), within(0.006));
        assertThat(sd(l) / sd(h)).isCloseTo(Math.sqrt(10), within(0.25));
    }

    @Test
    void theCommandPrintsTheKeysAndDrawsTheArrows() throws Exception {
        Path svg = dir.resolve("toy.svg");
        CliRun r = CliRun.of("parchgrad", "toy", "--seed", "21", "--json", "--svg", svg.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String k : new String[] {"sum_high", "sum_low", "sum_all", "angle_high", "angle_low", "angle_all", "norm_high",
            "norm_low", "norm_all"}) {
            assertThat(j.has(k)).as(k).isTrue();
        }
        assertThat(j.get("sum_all").get(1).asDouble()).isCloseTo(0.225561, within(5e-7));
        assertThat(Files.readString(svg)).startsWith("<svg").contains("|H| = 10", "|L| = 100");
        assertThat(CliRun.of("parchgrad", "toy", "--distribution", "cauchy").exitCode()).isEqualTo(2);
    }

    static double sd(double[] v) {
        double m = 0;
        for (double x : v) {
            m += x;
        }
        m /= v.length;
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }
}
