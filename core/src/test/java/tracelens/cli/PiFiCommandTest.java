package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.testing.CliRun;
import tracelens.testing.SharedFiles;

class PiFiCommandTest {
    @TempDir
    Path dir;

    Path task() throws Exception {
        List<String> lines = new ArrayList<>(List.of("text,label"));
        String[] pos = {"a wonderful film", "truly moving and warm", "a delight", "funny and wise", "a triumph"};
        String[] neg = {"a dull mess", "boring and long", "a waste of time", "clumsy and lifeless", "tedious"};
        for (int i = 0; i < 30; i++) {
            lines.add("\"" + pos[i % 5] + " " + i + "\",1");
            lines.add("\"" + neg[i % 5] + " " + i + "\",0");
        }
        return Files.write(dir.resolve("toy.csv"), lines);
    }

    @Test
    void trainsPiFiAndTheBaseDeterministically() throws Exception {
        Path t = task();
        String llm = SharedFiles.stories260K().toString();
        CliRun a = CliRun.of("pifi", "train", "--llm", llm, "--task", t.toString(), "--epochs", "2", "--batch-size", "16", "--lr", "1e-4",
                "--json", "--out", dir.resolve("pifi.json").toString());
        assertThat(a.exitCode()).as(a.err()).isZero();
        JsonNode r = new ObjectMapper().readTree(a.out());
        assertThat(r.get("method").asText()).isEqualTo("pifi");
        assertThat(r.get("llm_layer").asInt()).isEqualTo(4); // -1: the last of stories260K's 5 blocks
        assertThat(r.get("frozen_parameters").asLong()).isGreaterThan(0);
        assertThat(r.get("history")).hasSize(2);
        assertThat(r.get("test_accuracy").asDouble()).isBetween(0.0, 1.0);
        assertThat(r.get("provenance").get("settings").get("llm-layer").asText()).isEqualTo("-1");
        assertThat(Files.readString(dir.resolve("pifi.json"))).contains("\"test_accuracy\"");
        // issue 14: intervals (Wilson for accuracy, bootstrap for macro-F1) and the tidy table beside the JSON
        double acc = r.get("test_accuracy").asDouble();
        assertThat(r.get("test_accuracy_ci95").get(0).asDouble())
                .isEqualTo(tracelens.sip.Metrics.wilson(acc, r.get("test_examples").asInt())[0]);
        assertThat(r.get("test_macro_f1_ci95").get(1).asDouble()).isGreaterThanOrEqualTo(r.get("test_macro_f1").asDouble());
        assertThat(Files.readAllLines(dir.resolve("pifi.csv"))).contains("minilm,,,test_accuracy," + acc + ","
                + r.get("test_accuracy_ci95").get(0).asDouble() + "," + r.get("test_accuracy_ci95").get(1).asDouble());
        CliRun again = CliRun.of("pifi", "train", "--llm", llm, "--task", t.toString(), "--epochs", "2", "--batch-size", "16", "--lr", "1e-4",
                "--json");
        JsonNode r2 = new ObjectMapper().readTree(again.out());
        for (int e = 0; e < 2; e++) {
            assertThat(r2.get("history").get(e).get("train_loss")).isEqualTo(r.get("history").get(e).get("train_loss"));
        }
        assertThat(r2.get("test_accuracy")).isEqualTo(r.get("test_accuracy"));

        CliRun base = CliRun.of("pifi", "train", "--method", "base", "--task", t.toString(), "--epochs", "1", "--json");
        assertThat(base.exitCode()).as(base.err()).isZero();
        JsonNode b = new ObjectMapper().readTree(base.out());
        assertThat(b.has("llm_layer")).isFalse();
        assertThat(b.get("frozen_parameters").asLong()).isZero();
    }

    @Test
    void badInputIsRefusedWithExitCode2() throws Exception {
        Path t = task();
        CliRun noLlm = CliRun.of("pifi", "train", "--task", t.toString());
        assertThat(noLlm.exitCode()).isEqualTo(2);
        assertThat(noLlm.err()).contains("--llm PATH is required");
        CliRun range = CliRun.of("pifi", "train", "--llm", SharedFiles.stories260K().toString(), "--llm-layer", "7", "--task", t.toString());
        assertThat(range.exitCode()).isEqualTo(2);
        assertThat(range.err()).contains("--llm-layer 7 is out of range").contains("blocks 0..4");
        CliRun word = CliRun.of("pifi", "train", "--llm", SharedFiles.stories260K().toString(), "--llm-layer", "top", "--task", t.toString());
        assertThat(word.err()).contains("--llm-layer must be an integer or best");
        CliRun encoder = CliRun.of("pifi", "train", "--slm", SharedFiles.stories260K().toString(), "--method", "base", "--task", t.toString());
        assertThat(encoder.exitCode()).isEqualTo(2);
        assertThat(encoder.err()).contains("--slm must be an encoder");
    }
}
