package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.testing.CliRun;
import tracelens.testing.SharedFiles;

/** generate with a watermark, lm-detect on the texts and on a suspect, finetune-lm, with bad inputs (stories260K). */
class WatermarkCommandsTest {
    @TempDir
    Path dir;

    @Test
    void watermarkedTextsAreDetectedAndOnlyWithTheirKey() throws Exception {
        String model = SharedFiles.stories260K().toString();
        Path texts = dir.resolve("wm.jsonl");
        CliRun gen = CliRun.of("generate", "--model", model, "--prompt", "Once upon a time", "--samples", "4", "--max-tokens", "60",
                "--temperature", "1", "--watermark-key", "7", "--delta", "3", "--out", texts.toString(), "--quiet");
        assertThat(gen.exitCode()).as(gen.err()).isZero();
        assertThat(Files.readAllLines(texts)).hasSize(4);
        Path settings = dir.resolve("wm.jsonl.watermark.json");
        JsonNode w = new ObjectMapper().readTree(settings.toFile());
        assertThat(w.get("vocabulary").asInt()).isEqualTo(512);

        CliRun right = CliRun.of("radioactive", "lm-detect", "--model", model, "--texts", texts.toString(), "--watermark", settings.toString(), "--json");
        assertThat(right.exitCode()).as(right.err()).isZero();
        JsonNode r = new ObjectMapper().readTree(right.out());
        assertThat(r.get("scored_tokens").asInt()).isGreaterThan(50);
        assertThat(r.get("log10_p_value").asDouble()).isLessThan(-5);
        CliRun wrong = CliRun.of("radioactive", "lm-detect", "--model", model, "--texts", texts.toString(), "--watermark-key", "8", "--json");
        assertThat(new ObjectMapper().readTree(wrong.out()).get("p_value").asDouble()).isGreaterThan(1e-3);

        // a suspect fine-tuned on the texts, asked to answer: the command runs end to end and loads the saved model
        Path tuned = dir.resolve("tuned.safetensors");
        CliRun ft = CliRun.of("finetune-lm", "--model", model, "--data", texts.toString(), "--epochs", "1", "--batch-size", "2", "--out",
                tuned.toString(), "--json");
        assertThat(ft.exitCode()).as(ft.err()).isZero();
        assertThat(new ObjectMapper().readTree(ft.out()).get("texts").asInt()).isEqualTo(4);
        Path prompts = Files.writeString(dir.resolve("prompts.txt"), "Once upon a time\n");
        CliRun closed = CliRun.of("radioactive", "lm-detect", "--model", tuned.toString(), "--prompts", prompts.toString(), "--samples", "2",
                "--max-tokens", "30", "--watermark-key", "7", "--json");
        assertThat(closed.exitCode()).as(closed.err()).isZero();
        assertThat(new ObjectMapper().readTree(closed.out()).get("texts").asInt()).isEqualTo(2);

        // bad input: a key for another vocabulary, token ids from another tokenizer, both modes at once
        Path other = Files.writeString(dir.resolve("other.json"), w.toString().replace("512", "32000"));
        CliRun vocab = CliRun.of("radioactive", "lm-detect", "--model", model, "--texts", texts.toString(), "--watermark", other.toString());
        assertThat(vocab.exitCode()).isEqualTo(2);
        assertThat(vocab.err()).contains("vocabulary");
        Path foreign = Files.writeString(dir.resolve("foreign.jsonl"), "{\"text\": \"x\", \"tokens\": [5, 9000]}\n");
        CliRun ids = CliRun.of("radioactive", "lm-detect", "--model", model, "--texts", foreign.toString(), "--watermark-key", "7");
        assertThat(ids.exitCode()).isEqualTo(2);
        assertThat(ids.err()).contains("foreign.jsonl", "line 1", "9000");
        CliRun both = CliRun.of("radioactive", "lm-detect", "--model", model, "--texts", texts.toString(), "--prompts", prompts.toString(),
                "--watermark-key", "7");
        assertThat(both.exitCode()).isEqualTo(2);
        CliRun badOut = CliRun.of("finetune-lm", "--model", model, "--data", texts.toString(), "--out", dir.resolve("x.bin").toString());
        assertThat(badOut.exitCode()).isEqualTo(2);
    }
}
