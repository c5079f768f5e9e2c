package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.model.DType;
import tracelens.model.SafeTensors;
import tracelens.model.SafeTensorsWriter;
import tracelens.testing.CliRun;
import tracelens.testing.SharedFiles;

/**
 * Issue 15: non-finite numbers stop a run where they arise instead of being printed as results (generation emitted
 * token 0; extraction wrote NaN rows), and a tokenizer smaller than the model's vocabulary no longer crashes
 * generation when the model picks a token it cannot print.
 */
class NumericalGuardsTest {
    @TempDir
    Path dir;

    /** tiny-qwen2 with finite weights so large that the forward pass overflows (every weight ±3e38). */
    private Path overflowingModel() throws Exception {
        Path src = DecoderCommandsTest.fixture("tiny-qwen2");
        Path model = Files.createDirectories(dir.resolve("qwen"));
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(src.resolve(f), model.resolve(f));
        }
        Path weights = model.resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        long header = 8 + ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        try (SafeTensors st = SafeTensors.open(weights)) {
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (String t : st.tensors().keySet()) {
                SafeTensors.Info info = st.info(t);
                for (long at = header + info.begin(), i = 0; at < header + info.end(); at += 4, i++) {
                    b.putFloat((int) at, i % 2 == 0 ? 3e38f : -3e38f); // sums of these reach +inf and -inf, then NaN
                }
            }
        }
        Files.write(weights, bytes);
        return model;
    }

    @Test
    void overflowingActivationsStopGenerationAndExtraction() throws Exception {
        Path model = overflowingModel();
        CliRun gen = CliRun.of("generate", "--model", model.toString(), "--prompt", "w1 w2", "--max-tokens", "3");
        assertThat(gen.exitCode()).as(gen.err()).isEqualTo(2);
        assertThat(gen.err()).contains("generation step 1").contains("logit for token", "non-finite").doesNotContain("internal error");

        Path in = Files.writeString(dir.resolve("t.txt"), "w1 w2 w3\nw4 w5\n");
        Path out = dir.resolve("a.safetensors");
        CliRun act = CliRun.of("activations", "--model", model.toString(), "--input", in.toString(), "--out", out.toString());
        assertThat(act.exitCode()).as(act.err()).isEqualTo(2);
        assertThat(act.err()).containsPattern("input row [12], layer\\.[0-9]+: the model produced NaN");
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactlyInAnyOrder("qwen", "t.txt");
        }
    }

    @Test
    void aTokenizerSmallerThanTheVocabularyNeverPrintsAnUnknownToken() throws IOException {
        int keep = 420; // the space (410) stays: the llama2.c encoder needs it
        Path tok = truncatedTokenizer(keep);
        CliRun r = CliRun.of("generate", "--model", SharedFiles.stories260K().toString(), "--tokenizer", tok.toString(),
                "--prompt", "Once upon a time", "--max-tokens", "60", "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode tokens = new ObjectMapper().readTree(r.out()).get("tokens");
        assertThat(tokens).hasSize(60);
        tokens.forEach(t -> assertThat(t.asInt()).isLessThan(keep));

        // the full tokenizer picks tokens past 420 on the same prompt, so the cap is what kept this run alive
        CliRun full = CliRun.of("generate", "--model", SharedFiles.stories260K().toString(), "--prompt", "Once upon a time",
                "--max-tokens", "60", "--json");
        boolean beyond = false;
        for (JsonNode t : new ObjectMapper().readTree(full.out()).get("tokens")) {
            beyond |= t.asInt() >= keep;
        }
        assertThat(beyond).isTrue();
    }

    @Test
    void aNanInATokenCacheIsReportedWithSampleAndToken() throws IOException {
        Path cache = dir.resolve("acts.safetensors");
        float[] h = new float[2 * 3 * 4];
        for (int i = 0; i < h.length; i++) {
            h[i] = i * 0.1f;
        }
        h[(1 * 3 + 2) * 4 + 1] = Float.NaN; // sample 1, token 2
        try (SafeTensorsWriter w = SafeTensorsWriter.create(cache, List.of(new SafeTensorsWriter.Spec("layer.0", DType.F32,
                new long[] {2, 3, 4}), new SafeTensorsWriter.Spec("mask", DType.U8, new long[] {2, 3})), Map.of())) {
            w.writeFloats("layer.0", 0, h);
            w.write("mask", 0, ByteBuffer.wrap(new byte[] {1, 1, 1, 1, 1, 1}));
            w.commit();
        }
        try (SafeTensors st = SafeTensors.open(cache)) {
            var rows = tracelens.sip.CachedFeatures.ngram(st, 0, 1, false);
            try (var m = tracelens.runtime.DjlRuntime.manager()) {
                rows.batch(m, new int[] {0, 1, 2}).close(); // sample 0 is finite
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> rows.batch(m, new int[] {5}))
                        .isInstanceOf(tracelens.error.NumericalFailureException.class)
                        .hasMessageContaining(cache.toString()).hasMessageContaining("sample 1, token 2");
            }
        }
    }

    /** tok512.bin cut to its first {@code keep} tokens. */
    private Path truncatedTokenizer(int keep) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(SharedFiles.tok512())).order(ByteOrder.LITTLE_ENDIAN);
        b.getInt();
        for (int i = 0; i < keep; i++) {
            b.getFloat();
            int len = b.getInt();
            b.position(b.position() + len);
        }
        Path out = dir.resolve("tok" + keep + ".bin");
        Files.write(out, java.util.Arrays.copyOf(b.array(), b.position()));
        return out;
    }
}
