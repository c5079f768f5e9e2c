package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.testing.CliRun;
import tracelens.testing.SharedFiles;

class FinetuneCommandTest {
    @TempDir
    Path dir;

    private Path csv() throws IOException {
        StringBuilder sb = new StringBuilder("text,label\n");
        String[] good = {"great", "lovely", "superb", "charming"};
        String[] bad = {"awful", "boring", "dull", "clumsy"};
        for (int i = 0; i < 40; i++) {
            sb.append("the film was ").append(i % 2 == 0 ? good[i % 4] : bad[i % 4]).append(',').append(i % 2 == 0 ? "pos" : "neg").append('\n');
        }
        return Files.writeString(dir.resolve("task.csv"), sb);
    }

    @Test
    void supConThenHeadOnACsvTaskWritesTheResultJson() throws IOException {
        Path out = dir.resolve("r.json");
        CliRun r = CliRun.of("finetune", "--task", csv().toString(), "--loss", "supcon", "--reg", "istar", "--lambda", "-1",
                "--epochs", "1", "--batch-size", "12", "--head-epochs", "3", "--max-tokens", "16", "--out", out.toString(), "--json", "-q",
                "--save", dir.resolve("saved").toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode ci = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.out());
        assertThat(ci.get("accuracy_ci95").get(0).asDouble())
                .isEqualTo(tracelens.sip.Metrics.wilson(ci.get("accuracy").asDouble(), ci.get("dev_size").asInt())[0]);
        assertThat(ci.get("macro_f1_ci95").get(0).asDouble()).isLessThanOrEqualTo(ci.get("macro_f1").asDouble());
        // issue 14: the fine-tuned encoder is saved as a Hugging Face folder that --model loads
        assertThat(dir.resolve("saved").resolve("config.json")).exists();
        Path texts = Files.writeString(dir.resolve("t.txt"), "a short text\n");
        CliRun a = CliRun.of("activations", "--model", dir.resolve("saved").toString(), "--input", texts.toString(), "--out",
                dir.resolve("a.safetensors").toString(), "--layers", "6", "-q");
        CliRun b = CliRun.of("activations", "--input", texts.toString(), "--out", dir.resolve("b.safetensors").toString(), "--layers", "6", "-q");
        assertThat(a.exitCode()).as(a.err()).isZero();
        try (var fa = tracelens.model.SafeTensors.open(dir.resolve("a.safetensors"));
             var fb = tracelens.model.SafeTensors.open(dir.resolve("b.safetensors"))) {
            assertThat(fa.floats("layer.6")).as("fine-tuning changed the encoder").isNotEqualTo(fb.floats("layer.6"));
        }
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(new ObjectMapper().readTree(out.toFile())).isEqualTo(j);
        assertThat(j.get("train_size").asInt()).isEqualTo(36);
        assertThat(j.get("dev_size").asInt()).isEqualTo(4);
        assertThat(j.get("steps").asInt()).isEqualTo(3);
        assertThat(j.get("lambda").asDouble()).isEqualTo(-1.0);
        assertThat(j.get("accuracy").asDouble()).isBetween(0.0, 1.0);
        assertThat(j.get("history").get(0).get("batch_isoscore_star").asDouble()).isBetween(0.0, 1.0);
        assertThat(j.get("layers")).hasSize(7);
        assertThat(j.get("layers").get(0).get("isoscore").isNull()).as("layer 0's [CLS] never varies").isTrue();
        assertThat(j.get("layers").get(6).get("isoscore_star").asDouble()).isBetween(0.0, 1.0);
    }

    @Test
    void badInputsExitWithTwo() throws IOException {
        String task = csv().toString();
        CliRun r = CliRun.of("finetune", "--task", task, "--loss", "mse");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--loss must be one of [ce, supcon], found 'mse'");
        r = CliRun.of("finetune", "--task", task, "--zeta", "1.5");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("--zeta must be in [0, 1]");
        r = CliRun.of("finetune", "--task", "cola", "--data-dir", dir.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("data folder");
        r = CliRun.of("finetune", "--task", task, "--model", SharedFiles.stories260K().toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("finetune trains BERT-style encoders");
    }
}
