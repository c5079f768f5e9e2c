package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.model.SafeTensors;
import tracelens.testing.CliRun;
import tracelens.testing.SharedFiles;

/** generate, perplexity and activations on decoders, as a user runs them; bad input exits with 2. */
class DecoderCommandsTest {
    @TempDir
    Path dir;

    static final ObjectMapper JSON = new ObjectMapper();

    static String stories() {
        return SharedFiles.stories260K().toString();
    }

    static Path fixture(String name) throws Exception {
        return Path.of(DecoderCommandsTest.class.getResource("/fixtures/" + name).toURI());
    }

    @Test
    void greedyGenerationAsJson() throws IOException {
        CliRun r = CliRun.of("generate", "--model", stories(), "--prompt", "Once upon a time", "--max-tokens", "40", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = JSON.readTree(r.out());
        assertThat(j.get("tokens")).hasSize(40);
        assertThat(j.get("stop_reason").asText()).isEqualTo("max_tokens");
        assertThat(j.get("prompt_tokens").get(0).asInt()).as("BOS first").isEqualTo(1);
        assertThat(j.get("text").asText()).startsWith(",").contains("there was");
    }

    @Test
    void samplingIsReproducibleBySeed() throws IOException {
        String[] base = {"generate", "--model", stories(), "--temperature", "1.0", "--top-p", "0.9", "--max-tokens", "30", "--json", "--seed"};
        String a = JSON.readTree(CliRun.of(concat(base, "7")).out()).get("text").asText();
        String b = JSON.readTree(CliRun.of(concat(base, "7")).out()).get("text").asText();
        String c = JSON.readTree(CliRun.of(concat(base, "8")).out()).get("text").asText();
        assertThat(a).isEqualTo(b).isNotEqualTo(c).isNotBlank();
    }

    static String[] concat(String[] a, String... b) {
        return Stream.concat(Stream.of(a), Stream.of(b)).toArray(String[]::new);
    }

    @Test
    void perplexityPerTextInInputOrderAndOverall() throws IOException {
        Path in = Files.writeString(dir.resolve("t.jsonl"), """
                {"text": "Once upon a time, there was a little girl named Lily."}
                {"text": ""}
                {"text": "The cat sat on the mat and the dog ran to the park to play with a red ball."}
                {"text": "qzx vvk jjj"}
                """);
        CliRun r = CliRun.of("perplexity", "--model", stories(), "--input", in.toString(), "--json", "--batch-size", "3");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = JSON.readTree(r.out());
        JsonNode per = j.get("per_text");
        assertThat(per).hasSize(4);
        assertThat(per.get(1).get("perplexity").isNull()).as("BOS alone predicts nothing").isTrue();
        assertThat(per.get(1).get("tokens").asInt()).isZero();
        double nll = 0;
        long tokens = 0;
        for (JsonNode p : per) {
            if (p.get("tokens").asLong() > 0) {
                nll += p.get("mean_nll").asDouble() * p.get("tokens").asLong();
                tokens += p.get("tokens").asLong();
                assertThat(p.get("perplexity").asDouble()).isCloseTo(Math.exp(p.get("mean_nll").asDouble()), within(1e-9));
            }
        }
        assertThat(j.get("tokens").asLong()).isEqualTo(tokens);
        assertThat(j.get("mean_nll").asDouble()).isCloseTo(nll / tokens, within(1e-9));
        assertThat(per.get(0).get("perplexity").asDouble()).as("a TinyStories sentence vs gibberish")
                .isLessThan(per.get(3).get("perplexity").asDouble());

        // batching does not change a text's score
        CliRun single = CliRun.of("perplexity", "--model", stories(), "--input", in.toString(), "--json", "--batch-size", "1");
        JsonNode s = JSON.readTree(single.out()).get("per_text");
        for (int i = 0; i < 4; i++) {
            if (per.get(i).get("tokens").asLong() > 0) {
                assertThat(s.get(i).get("mean_nll").asDouble()).isCloseTo(per.get(i).get("mean_nll").asDouble(), within(1e-5));
            }
        }
    }

    @Test
    void textsLongerThanTheContextUseASlidingWindow() throws Exception {
        // tiny-gpt2 has 32 positions and a word-level vocabulary without BOS: 50 words = 50 tokens, 49 predicted
        String words = IntStream.range(0, 50).mapToObj(i -> "w" + (2 + i % 90)).collect(Collectors.joining(" "));
        Path in = Files.writeString(dir.resolve("long.txt"), words + "\n");
        CliRun r = CliRun.of("perplexity", "--model", fixture("tiny-gpt2").toString(), "--input", in.toString(), "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = JSON.readTree(r.out());
        assertThat(j.get("tokens").asLong()).isEqualTo(49);
        // a random model is near-uniform over its 96 tokens
        assertThat(j.get("perplexity").asDouble()).isBetween(60.0, 140.0);
    }

    @Test
    void decoderActivationsWithLastTokenPooling() throws IOException {
        Path in = Files.writeString(dir.resolve("s.txt"), "Once upon a time\nTom had a red ball.\nHi\n");
        Path last = dir.resolve("last.safetensors");
        Path none = dir.resolve("none.safetensors");
        assertThat(CliRun.of("activations", "--model", stories(), "--input", in.toString(), "--out", last.toString(),
                "--pool", "last", "--quiet").exitCode()).isZero();
        assertThat(CliRun.of("activations", "--model", stories(), "--input", in.toString(), "--out", none.toString(),
                "--pool", "none", "--quiet").exitCode()).isZero();
        try (SafeTensors l = SafeTensors.open(last); SafeTensors n = SafeTensors.open(none)) {
            assertThat(l.metadata()).containsEntry("architecture", "llama2c").containsEntry("layers", "[0, 1, 2, 3, 4, 5]");
            long[] shape = n.info("layer.5").shape();
            int w = (int) shape[1], c = (int) shape[2];
            long[] mask = n.longs("mask");
            float[] tokens = n.floats("layer.5");
            float[] pooled = l.floats("layer.5");
            for (int i = 0; i < 3; i++) {
                int len = 0;
                while (len < w && mask[i * w + len] == 1) {
                    len++;
                }
                for (int d = 0; d < c; d++) {
                    assertThat(pooled[i * c + d]).isCloseTo(tokens[(i * w + len - 1) * c + d], within(1e-5f));
                }
            }
        }
    }

    private void assertBad(CliRun r, String... fragments) {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip().lines().count()).as("one line: %s", r.err()).isEqualTo(1);
        assertThat(r.err()).contains(fragments);
    }

    private Path copyFixture(String name) throws Exception {
        Path d = Files.createDirectories(dir.resolve(name + "-copy"));
        try (Stream<Path> files = Files.list(fixture(name))) {
            for (Path f : files.toList()) {
                Files.copy(f, d.resolve(f.getFileName()));
            }
        }
        return d;
    }

    @Test
    void badModels() throws Exception {
        Path t5 = Files.createDirectories(dir.resolve("t5"));
        Files.writeString(t5.resolve("config.json"), "{\"model_type\": \"t5\"}");
        Files.copy(fixture("tiny-gpt2").resolve("tokenizer.json"), t5.resolve("tokenizer.json"));
        Files.copy(fixture("tiny-gpt2").resolve("model.safetensors"), t5.resolve("model.safetensors"));
        assertBad(CliRun.of("generate", "--model", t5.toString()), "model_type 't5' is not supported", "qwen2");

        Path shapes = copyFixture("tiny-qwen2");
        Files.writeString(shapes.resolve("config.json"), Files.readString(shapes.resolve("config.json")).replace("176", "160"));
        assertBad(CliRun.of("generate", "--model", shapes.toString()), "model.layers.0.mlp.gate_proj.weight", "[176, 64]", "expected [160, 64]");

        Path shard = copyFixture("tiny-neox");
        Files.delete(shard.resolve("model.safetensors"));
        Files.writeString(shard.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"gpt_neox.embed_in.weight\": \"model-00001-of-00002.safetensors\"}}");
        assertBad(CliRun.of("generate", "--model", shard.toString()), "model-00001-of-00002.safetensors", "missing");

        assertBad(CliRun.of("generate", "--model", fixture("tiny-gpt2").toString(), "--tokenizer", SharedFiles.tok512().toString()),
                "tokenizer has 512 tokens but the model's vocabulary has 96");

        Path cut = dir.resolve("cut.bin");
        byte[] all = Files.readAllBytes(SharedFiles.stories260K());
        Files.write(cut, java.util.Arrays.copyOf(all, all.length - 100));
        assertBad(CliRun.of("generate", "--model", cut.toString(), "--tokenizer", SharedFiles.tok512().toString()),
                "cut.bin", "needs " + all.length);

        assertBad(CliRun.of("generate", "--model", "minilm"), "is an encoder", "needs a decoder");
        // issue 14: without --model these commands defaulted to the built-in encoder and always failed
        for (CliRun r : new CliRun[] {CliRun.of("generate", "--prompt", "hi"),
            CliRun.of("perplexity", "--input", fixture("tiny-gpt2").resolve("config.json").toString())}) {
            assertThat(r.exitCode()).isEqualTo(2);
            assertThat(r.err().lines().findFirst().orElse("")).startsWith("Missing required option: '--model=PATH'").contains("needs a decoder");
        }
    }

    @Test
    void promptLongerThanTheContext() throws Exception {
        String prompt = IntStream.range(0, 40).mapToObj(i -> "w5").collect(Collectors.joining(" "));
        assertBad(CliRun.of("generate", "--model", fixture("tiny-gpt2").toString(), "--prompt", prompt),
                "--prompt has 40 tokens", "context is 32");
        assertBad(CliRun.of("generate", "--model", stories(), "--top-p", "1.5"), "--top-p must be in [0, 1]");
    }
}
