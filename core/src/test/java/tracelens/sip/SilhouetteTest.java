package tracelens.sip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * Silhouette against scikit-learn's silhouette_score (fixtures/silhouette/make_silhouette_fixture.py): 1,100 points
 * across two of the Euclidean path's blocks, a group of one, an unused label number, near-duplicate directions.
 */
class SilhouetteTest {
    @Test
    void matchesScikitLearnForBothDistances() throws Exception {
        JsonNode ref;
        try (InputStream in = SilhouetteTest.class.getResourceAsStream("/fixtures/silhouette/silhouette.json")) {
            ref = new ObjectMapper().readTree(in);
        }
        int n = ref.get("labels").size();
        float[][] x = new float[n][];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            JsonNode row = ref.get("x").get(i);
            x[i] = new float[row.size()];
            for (int j = 0; j < row.size(); j++) {
                x[i][j] = (float) row.get(j).asDouble();
            }
            labels[i] = ref.get("labels").get(i).asInt();
        }
        // Euclidean: float32 distance blocks on the engine; cosine: float64 sums of unit vectors per group
        assertThat(Silhouette.score(x, labels, Silhouette.Distance.EUCLIDEAN)).isCloseTo(ref.get("euclidean").asDouble(), within(1e-6));
        assertThat(Silhouette.score(x, labels, Silhouette.Distance.COSINE)).isCloseTo(ref.get("cosine").asDouble(), within(1e-12));
        // directions, not lengths: scaling every point leaves the cosine score unchanged
        float[][] scaled = new float[n][];
        for (int i = 0; i < n; i++) {
            scaled[i] = x[i].clone();
            for (int j = 0; j < scaled[i].length; j++) {
                scaled[i][j] *= 4; // a power of two: exact
            }
        }
        assertThat(Silhouette.score(scaled, labels, Silhouette.Distance.COSINE))
                .isEqualTo(Silhouette.score(x, labels, Silhouette.Distance.COSINE));
    }
}
