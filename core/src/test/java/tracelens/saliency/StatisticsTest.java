package tracelens.saliency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Shapiro-Wilk and the one-sided Student t-test against SciPy 1.10.1 (src/test/resources/fixtures/saliency/make_stats_fixture.py). */
class StatisticsTest {
    static JsonNode fixture() throws Exception {
        try (InputStream in = StatisticsTest.class.getResourceAsStream("/fixtures/saliency/stats.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    static double[] values(JsonNode n) {
        double[] v = new double[n.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = n.get(i).asDouble();
        }
        return v;
    }

    @Test
    void shapiroWilkMatchesScipy() throws Exception {
        for (Iterator<Map.Entry<String, JsonNode>> it = fixture().get("shapiro").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            ShapiroWilk.Result r = ShapiroWilk.test(values(e.getValue().get("x")));
            double w = e.getValue().get("w").asDouble();
            double p = e.getValue().get("p").asDouble();
            // SciPy's swilk runs in single precision: about 7 significant digits, less over thousands of values
            int n = e.getValue().get("x").size();
            assertThat(r.w()).as(e.getKey() + " W").isCloseTo(w, within(2e-6 * Math.max(1, n / 1000.0)));
            // the p-value from SciPy's own W reproduces SciPy's p; from our double-precision W it does so while W is not so
            // close to 1 that SciPy's single-precision rounding of 1 - W moves it (n = 6000: 1 - W differs by 1.2%)
            assertThat(ShapiroWilk.pValue(w, n)).as(e.getKey() + " p from SciPy's W").isCloseTo(p, within(1e-4 * Math.max(p, 1e-3)));
            if (n <= 1000) {
                assertThat(r.p()).as(e.getKey() + " p").isCloseTo(p, within(1e-4 * Math.max(p, 1e-3)));
            }
        }
    }

    @Test
    void shapiroWilkEdgeCases() {
        assertThat(ShapiroWilk.test(new double[] {2, 2, 2, 2}).p()).isEqualTo(1.0);
        // n = 3 is exact: W = 3/4 is the smallest possible W and has p = 0
        assertThat(ShapiroWilk.test(new double[] {0, 0, 1}).w()).isCloseTo(0.75, within(1e-12));
        assertThat(ShapiroWilk.test(new double[] {0, 0, 1}).p()).isCloseTo(0.0, within(1e-12));
        // an evenly spaced triple is perfectly "normal" for W: W = 1, p = 1
        assertThat(ShapiroWilk.test(new double[] {1, 2, 3}).p()).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void studentTMatchesScipy() throws Exception {
        for (Iterator<Map.Entry<String, JsonNode>> it = fixture().get("ttest").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            StudentT.Result r = StudentT.greater(values(e.getValue().get("a")), values(e.getValue().get("b")));
            assertThat(r.t()).as(e.getKey() + " t").isCloseTo(e.getValue().get("t").asDouble(), within(1e-10));
            double p = e.getValue().get("p").asDouble();
            assertThat(r.p()).as(e.getKey() + " p").isCloseTo(p, within(1e-9 * p + 1e-300));
        }
        assertThat(StudentT.greater(new double[] {1, 1}, new double[] {1, 1}).p()).as("0/0 is NaN: p = 1").isEqualTo(1.0);
    }
}
