package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.testing.CliRun;
import tracelens.testing.SharedFiles;

/**
 * issue 13, outcome 4: sip sweep over numbers of sources and models. The largest K must reproduce sip run on the
 * same samples and options exactly (one code path for identifiers, silhouette and perplexity), the maps must differ by
 * seed, and the files must carry every cell.
 */
class SipSweepCommandTest {
    @TempDir
    Path dir;

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void sweepsSourcesAndModelsAndMatchesSipRunAtTheLargestK() throws IOException {
        Path corpus = SipRunCommandTest.corpus(dir, 24);
        String stories = SharedFiles.require("models/stories260K/stories260K.bin").toString();
        Path out = dir.resolve("sweep");
        CliRun r = CliRun.of("sip", "sweep", "--corpus", corpus.toString(), "--words", "0", "--samples-per-source", "24",
                "--sources", "2,3", "--model", "minilm", "--model", stories, "--layers", "0,-1", "--epochs", "15",
                "--hidden", "tiny", "--map-seeds", "2", "--map-classes", "2,3", "--map-samples", "100", "--bottleneck", "16,2",
                "--out", out.toString(), "--json", "--quiet");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = JSON.readTree(out.resolve("sweep.json").toFile());
        assertThat(j.get("source_counts").toString()).isEqualTo("[2,3]");
        assertThat(j.get("models")).hasSize(2);
        JsonNode minilm = j.get("models").get(0);
        JsonNode tiny = j.get("models").get(1);
        assertThat(minilm.get("parameters").asLong()).as("MiniLM-L6's weights").isBetween(22_000_000L, 23_000_000L);
        assertThat(tiny.get("parameters").asLong()).as("stories260K").isBetween(250_000L, 270_000L);
        assertThat(minilm.get("cells")).hasSize(4);
        assertThat(minilm.get("perplexity").isNull()).as("an encoder has no perplexity").isTrue();
        assertThat(tiny.get("perplexity").get("2").asDouble()).isGreaterThan(1);
        for (JsonNode c : minilm.get("cells")) {
            assertThat(c.get("chance_accuracy").asDouble()).isEqualTo(1.0 / c.get("sources").asInt());
            assertThat(c.get("linear_accuracy").asDouble()).isBetween(0.0, 1.0);
            assertThat(c.get("test_samples").asInt()).isEqualTo(c.get("sources").asInt() * 7); // 0.3 of 24 per source
        }
        // --json on stdout: the same numbers without the map points
        JsonNode printed = JSON.readTree(r.out());
        assertThat(printed.get("models").get(0).has("maps")).isFalse();
        assertThat(printed.get("models").get(0).get("cells")).isEqualTo(minilm.get("cells"));

        // the largest K is sip run --max-sources K on the same samples, numbers identical
        for (int m = 0; m < 2; m++) {
            Path run = dir.resolve("run" + m);
            CliRun s = CliRun.of("sip", "run", "--corpus", corpus.toString(), "--words", "0", "--samples-per-source", "24",
                    "--max-sources", "3", "--model", m == 0 ? "minilm" : stories, "--layers", "0,-1", "--epochs", "15", "--hidden", "tiny",
                    "--out", run.toString(), "--json", "--quiet");
            assertThat(s.exitCode()).as(s.err()).isZero();
            JsonNode sr = JSON.readTree(run.resolve("results.json").toFile());
            JsonNode model = j.get("models").get(m);
            int i = 0;
            for (JsonNode c : model.get("cells")) {
                if (c.get("sources").asInt() != 3) {
                    continue;
                }
                JsonNode l = sr.get("layers").get(i++);
                assertThat(c.get("layer").asInt()).isEqualTo(l.get("layer").asInt());
                assertThat(c.get("linear_accuracy").asDouble()).as("model %d layer %d", m, l.get("layer").asInt())
                        .isEqualTo(l.get("linear_accuracy").asDouble());
                assertThat(c.get("mlp_accuracy").asDouble()).isEqualTo(l.get("mlp_accuracy").asDouble());
                assertThat(c.get("silhouette").asDouble()).as("same rows, another order").isCloseTo(l.get("silhouette").asDouble(), within(1e-6));
            }
            assertThat(i).isEqualTo(2);
            if (m == 1) {
                assertThat(model.get("perplexity").get("3").asDouble()).isCloseTo(sr.get("perplexity").asDouble(), within(1e-9));
            }
        }

        // maps: per (method, classes, seed, layer); seeds draw different passages; both methods map the same passages
        JsonNode points = minilm.get("maps").get("points");
        Set<String> panels = new HashSet<>();
        List<Double> seed0 = new ArrayList<>();
        List<Double> seed1 = new ArrayList<>();
        int pca = 0;
        int bottleneck = 0;
        for (JsonNode p : points) {
            panels.add(p.get("method").asText() + p.get("classes").asInt() + "/" + p.get("seed").asInt() + "/" + p.get("layer").asInt());
            if (p.get("method").asText().equals("pca")) {
                pca++;
                if (p.get("classes").asInt() == 3 && p.get("layer").asInt() == 0) {
                    (p.get("seed").asInt() == 0 ? seed0 : seed1).add(p.get("x").asDouble());
                }
            } else {
                bottleneck++;
            }
            assertThat(Double.isFinite(p.get("x").asDouble()) && Double.isFinite(p.get("y").asDouble())).isTrue();
        }
        assertThat(panels).hasSize(2 * 2 * 2 * 2);
        assertThat(pca).isEqualTo(bottleneck);
        assertThat(seed0).hasSize(3 * 18); // 24 - 24/4 passages of each source
        assertThat(seed0).as("another seed, other passages").isNotEqualTo(seed1);
        List<String> csv = Files.readAllLines(out.resolve("sweep.csv"));
        assertThat(csv.get(0)).isEqualTo("model,parameters,sources,layer,metric,value");
        assertThat(csv).hasSize(1 + 2 * 4 * 4 + 2); // 2 models x 4 cells x 4 metrics, and stories' two perplexities
        assertThat(Files.readAllLines(out.resolve("maps.csv"))).hasSize(1 + points.size() + tiny.get("maps").get("points").size());
        String html = Files.readString(out.resolve("sweep.html"));
        assertThat(html).contains("Held-out accuracy by layer and number of sources", "over model size",
                "2-D maps of 3 sources by a 2-unit bottleneck identifier", "rows are seeds, columns are layers");

        // rerun: both caches reused, the same numbers
        CliRun again = CliRun.of("sip", "sweep", "--corpus", corpus.toString(), "--words", "0", "--samples-per-source", "24",
                "--sources", "2,3", "--model", "minilm", "--model", stories, "--layers", "0,-1", "--epochs", "15",
                "--hidden", "tiny", "--map-seeds", "2", "--map-classes", "2,3", "--bottleneck", "16,2", "--out", out.toString(), "--json", "--quiet");
        assertThat(again.exitCode()).as(again.err()).isZero();
        assertThat(JSON.readTree(out.resolve("sweep.json").toFile()).get("models").get(0).get("maps"))
                .as("same seed, same maps").isEqualTo(minilm.get("maps"));
    }

    @Test
    void badInput() throws IOException {
        Path corpus = SipRunCommandTest.corpus(dir, 12);
        CliRun tooMany = CliRun.of("sip", "sweep", "--corpus", corpus.toString(), "--words", "0", "--sources", "3,10",
                "--out", dir.resolve("a").toString());
        assertThat(tooMany.exitCode()).isEqualTo(2);
        assertThat(tooMany.err()).contains("asks for 10 sources", "has 3");
        assertThat(dir.resolve("a")).doesNotExist();
        CliRun linear = CliRun.of("sip", "sweep", "--corpus", corpus.toString(), "--words", "0", "--sources", "2", "--no-mlp",
                "--bottleneck", "16,2", "--out", dir.resolve("b").toString());
        assertThat(linear.exitCode()).isEqualTo(2);
        assertThat(linear.err()).contains("--bottleneck", "--no-mlp");
        CliRun notTwo = CliRun.of("sip", "sweep", "--corpus", corpus.toString(), "--words", "0", "--sources", "2",
                "--bottleneck", "16,3", "--out", dir.resolve("c").toString());
        assertThat(notTwo.exitCode()).isEqualTo(2);
        assertThat(notTwo.err()).contains("ending in 2");
        CliRun maps = CliRun.of("sip", "sweep", "--corpus", corpus.toString(), "--words", "0", "--sources", "2,3", "--map-classes", "3,4",
                "--out", dir.resolve("e").toString());
        assertThat(maps.exitCode()).isEqualTo(2);
        assertThat(maps.err()).contains("--map-classes 4 exceeds the 3 sources").doesNotContain("extracting");
        // by default (3 and 4) a 3-source corpus gets its 3-source maps and a note, as the README's example runs
        CliRun fewer = CliRun.of("sip", "sweep", "--corpus", corpus.toString(), "--words", "0", "--sources", "3", "--layers", "-1",
                "--epochs", "3", "--hidden", "tiny", "--map-seeds", "1", "--bottleneck", "none", "--out", dir.resolve("f").toString());
        assertThat(fewer.exitCode()).as(fewer.err()).isZero();
        assertThat(fewer.err()).contains("note: no maps of [4] sources");
        assertThat(Files.readString(dir.resolve("f/maps.csv"))).contains("pca,3,0,");
        CliRun one = CliRun.of("sip", "sweep", "--corpus", corpus.toString(), "--words", "0", "--sources", "1,3",
                "--out", dir.resolve("d").toString());
        assertThat(one.exitCode()).isEqualTo(2);
        assertThat(one.err()).contains("sources");
    }
}
