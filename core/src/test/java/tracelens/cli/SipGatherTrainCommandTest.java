package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.model.SafeTensors;
import tracelens.testing.CliRun;

/** sip gather then sip train with MiniLM on three writing styles from ../shared, and the cache's guard rails. */
class SipGatherTrainCommandTest {
    @TempDir
    Path dir;

    @Test
    void gatherOnceTrainTokenAndSentenceIdentifiersAndRefuseAForeignCache() throws IOException {
        Path corpus = SipRunCommandTest.corpus(dir, 40);
        Path cache = dir.resolve("cache");
        String[] gather = {"sip", "gather", "--corpus", corpus.toString(), "--words", "0", "--samples-per-source", "40",
            "--layers", "3,6", "--max-length", "32", "--out", cache.toString(), "--json", "-q"};
        CliRun g = CliRun.of(gather);
        assertThat(g.exitCode()).as(g.err()).isZero();
        JsonNode gj = SipRunCommandTest.JSON.readTree(g.out());
        assertThat(gj.get("reused").asBoolean()).isFalse();
        assertThat(gj.get("samples").asInt()).isEqualTo(120);
        try (SafeTensors st = SafeTensors.open(cache.resolve("activations.safetensors"))) {
            assertThat(st.info("layer.6").shape()).hasSize(3); // token-level (N, T, C)
            assertThat(st.info("layer.6").dtype().name()).isEqualTo("F16");
            assertThat(st.info("layer.6").shape()[2]).isEqualTo(384);
            assertThat(st.metadata()).containsEntry("sampling.samples_per_source", "40").containsEntry("sampling.words", "0")
                    .containsEntry("sampling.seed", "0");
        }
        CliRun again = CliRun.of(gather);
        assertThat(SipRunCommandTest.JSON.readTree(again.out()).get("reused").asBoolean()).isTrue();

        CliRun t = CliRun.of("sip", "train", "--cache", cache.toString(), "--input", "bigram", "--hidden", "tiny", "--epochs", "3",
                "--json", "-q");
        assertThat(t.exitCode()).as(t.err()).isZero();
        JsonNode tj = SipRunCommandTest.JSON.readTree(t.out());
        assertThat(tj.get("sources")).hasSize(3);
        assertThat(tj.get("layers")).hasSize(2);
        JsonNode top = tj.get("layers").get(1);
        assertThat(top.get("layer").asInt()).isEqualTo(6);
        assertThat(top.get("linear_accuracy").asDouble()).as("token rows of three styles").isGreaterThan(0.6);
        assertThat(top.get("mlp_accuracy").asDouble()).isGreaterThan(0.6);
        assertThat(top.get("train_rows").asInt()).isGreaterThan(1000);

        Path ids = dir.resolve("ids");
        CliRun s = CliRun.of("sip", "train", "--cache", cache.toString(), "--input", "sentence", "--probe", "linear", "--layers", "6",
                "--epochs", "100", "--json", "-q", "--identifiers", ids.toString());
        assertThat(s.exitCode()).as(s.err()).isZero();
        JsonNode sj = SipRunCommandTest.JSON.readTree(s.out()).get("layers").get(0);
        assertThat(sj.get("test_rows").asInt()).isEqualTo(36); // one row per held-out sample
        assertThat(sj.get("linear_accuracy").asDouble()).isGreaterThan(0.8);
        assertThat(sj.get("mlp_accuracy").isNull()).isTrue();
        // issue 13: the trained identifier is saved with what it reads; sip predict (mean-pooled, sip run's) refuses it
        tracelens.sip.SavedIdentifier.Info info = tracelens.sip.SavedIdentifier.info(ids.resolve("layer6-linear.safetensors"));
        assertThat(info.layer()).isEqualTo(6);
        assertThat(info.sources()).hasSize(3);
        assertThat(info.features()).contains("sip train --input sentence");
        assertThat(info.layerNorm()).isTrue();
        Path texts = Files.writeString(dir.resolve("texts.txt"), "a text\n");
        CliRun predict = CliRun.of("sip", "predict", "--identifier", ids.resolve("layer6-linear.safetensors").toString(), "--input",
                texts.toString());
        assertThat(predict.exitCode()).isEqualTo(2);
        assertThat(predict.err()).contains("sip train --input sentence");
        // the same interval keys as sip run: Wilson on the 36 held-out rows, and a bootstrap for macro-F1
        assertThat(sj.get("linear_accuracy_ci95").get(0).asDouble())
                .isEqualTo(tracelens.sip.Metrics.wilson(sj.get("linear_accuracy").asDouble(), 36)[0]);
        assertThat(sj.get("mlp_accuracy_ci95").isNull()).isTrue();
        assertThat(sj.get("macro_f1_ci95").get(1).asDouble()).isGreaterThanOrEqualTo(sj.get("macro_f1").asDouble());

        CliRun other = CliRun.of("sip", "gather", "--corpus", corpus.toString(), "--words", "0", "--samples-per-source", "40",
                "--layers", "6", "--max-length", "32", "--out", cache.toString());
        assertThat(other.exitCode()).isEqualTo(2);
        assertThat(other.err()).contains("holds a cache of other inputs (setting layers: [3, 6] here, [6] requested)", "--force");
        CliRun missing = CliRun.of("sip", "train", "--cache", cache.toString(), "--layers", "2");
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("layer 2 is not in the cache (cached: [3, 6])");

        Files.write(cache.resolve("activations.safetensors"), new byte[] {1, 2, 3});
        CliRun corrupt = CliRun.of("sip", "train", "--cache", cache.toString());
        assertThat(corrupt.exitCode()).isEqualTo(2);
        assertThat(corrupt.err()).contains("activations.safetensors");
    }

    @Test
    void oneSamplePerSourceWorksWhereTheSplitAllowsIt() throws Exception {
        Path corpus = SipRunCommandTest.corpus(dir, 5);
        CliRun run = CliRun.of("sip", "run", "--corpus", corpus.toString(), "--words", "0", "--samples-per-source", "1", "--out",
                dir.resolve("run").toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains("--samples-per-source 1", "sip train --split token-row");
        Path cache = dir.resolve("one");
        CliRun g = CliRun.of("sip", "gather", "--corpus", corpus.toString(), "--words", "0", "--samples-per-source", "1", "--layers", "6",
                "--out", cache.toString(), "-q");
        assertThat(g.exitCode()).as(g.err()).isZero();
        assertThat(Files.readAllLines(cache.resolve("samples.jsonl"))).hasSize(3); // one per source
        CliRun doc = CliRun.of("sip", "train", "--cache", cache.toString(), "--input", "unigram", "--split", "document", "--epochs", "2");
        assertThat(doc.exitCode()).isEqualTo(2);
        assertThat(doc.err()).contains("0 held-out rows", "--split token-row");
        CliRun rows = CliRun.of("sip", "train", "--cache", cache.toString(), "--input", "unigram", "--split", "token-row", "--epochs", "2",
                "--json", "-q");
        assertThat(rows.exitCode()).as(rows.err()).isZero();
        JsonNode l = SipRunCommandTest.JSON.readTree(rows.out()).get("layers").get(0);
        assertThat(l.get("train_rows").asInt()).isPositive();
        assertThat(l.get("test_rows").asInt()).isPositive();
    }
}
