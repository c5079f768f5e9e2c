package tracelens.model.llama;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.lm.Generator;
import tracelens.lm.Sampler;
import tracelens.model.DType;
import tracelens.model.ModelLoader;
import tracelens.model.SafeTensorsWriter;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.model.decoder.Decoder;
import tracelens.runtime.DjlRuntime;
import tracelens.testing.CliRun;
import tracelens.testing.Llama2cReference;
import tracelens.testing.SharedFiles;

/**
 * The real pretrained stories260K (llama2.c format, ../shared) against {@link Llama2cReference}, a plain port of
 * llama2.c's run.c: logits, greedy generation, the Hugging Face conversion, padding and the KV cache.
 */
class Stories260KTest {
    @TempDir
    static Path dir;
    static Decoder model;
    static Llama2cReference reference;

    @BeforeAll
    static void load() throws IOException {
        model = (Decoder) ModelLoader.load(SharedFiles.stories260K().toString(), SharedFiles.tok512());
        reference = new Llama2cReference(SharedFiles.stories260K());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Greedy tokens from BOS by the reference: argmax at each step, stop at BOS, as run.c generates. */
    static List<Integer> referenceGreedy(int steps) {
        Llama2cReference ref = new Llama2cReference(reference);
        List<Integer> out = new ArrayList<>();
        int token = Llama2cTokenizer.BOS;
        for (int pos = 0; pos < steps; pos++) {
            float[] logits = ref.forward(token, pos);
            int next = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[next]) {
                    next = i;
                }
            }
            if (next == Llama2cTokenizer.BOS || next == Llama2cTokenizer.EOS) {
                break;
            }
            out.add(next);
            token = next;
        }
        return out;
    }

    static float[][] ourLogits(Decoder m, long[] ids) {
        try (NDManager scope = DjlRuntime.manager()) {
            long[] pos = new long[ids.length];
            long[] mask = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                pos[i] = i;
                mask[i] = 1;
            }
            float[] flat = m.forward(scope, 1, ids.length, ids, pos, mask, null, tracelens.nn.Hooks.none(scope), true, false).toFloatArray();
            int v = m.config().vocabSize();
            float[][] out = new float[ids.length][];
            for (int t = 0; t < ids.length; t++) {
                out[t] = Arrays.copyOfRange(flat, t * v, (t + 1) * v);
            }
            return out;
        }
    }

    static long[] story() {
        return model.tokenizer().encode("Once upon a time, there was a little girl named Lily. She loved to play outside.", 512).ids();
    }

    static void assertLogitsMatchReference(Decoder m, String what) {
        long[] ids = story();
        float[][] ours = ourLogits(m, ids);
        Llama2cReference ref = new Llama2cReference(reference);
        double worst = 0;
        for (int t = 0; t < ids.length; t++) {
            float[] expected = ref.forward((int) ids[t], t);
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - ours[t][i]));
            }
        }
        assertThat(worst).as("%s: max |logit diff| over %d positions", what, ids.length).isLessThan(1e-4);
    }

    @Test
    void logitsMatchTheRunCReference() {
        assertThat(model.config().vocabSize()).isEqualTo(512);
        assertThat(model.numLayers()).isEqualTo(5);
        assertLogitsMatchReference(model, "llama2.c loader");
    }

    @Test
    void greedyGenerationIsTheReferenceStoryAndItsOwnPerplexityIsLow() throws IOException {
        List<Integer> expected = referenceGreedy(120);
        Generator.Generation cached = Generator.generate(model, "", 120, new Sampler(0, 0.9f, 1), true, null);
        Generator.Generation uncached = Generator.generate(model, "", 60, new Sampler(0, 0.9f, 1), false, null);
        assertThat(cached.generated()).containsExactly(expected.stream().mapToLong(Integer::longValue).toArray());
        assertThat(uncached.generated()).containsExactly(Arrays.copyOf(cached.generated(), uncached.generated().length));
        assertThat(cached.text()).startsWith("Once upon a time").contains("Lily");

        Path text = Files.writeString(dir.resolve("story.txt"), cached.text().replace('\n', ' ') + "\n");
        CliRun r = CliRun.of("perplexity", "--model", SharedFiles.stories260K().toString(), "--tokenizer",
                SharedFiles.tok512().toString(), "--input", text.toString(), "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        double ppl = json.get("perplexity").asDouble();
        // greedy text is the model's own most likely continuation: far below the vocabulary size (512) and below
        // the ~3.7 of its validation loss 1.30
        assertThat(ppl).as("perplexity on its own greedy story").isBetween(1.0, 2.5);
        assertThat(json.get("per_text").get(0).get("tokens").asLong()).isEqualTo(json.get("tokens").asLong());
    }

    /**
     * Perplexity scores a batch of long texts in slices of rows (TokenBatch.rowsPerPass); each text's score equals its
     * score alone (its own batch of one) to float precision.
     */
    @Test
    void slicedBatchesScoreEachTextAsAlone() {
        List<String> texts = new java.util.ArrayList<>();
        for (int k = 1; k <= 14; k++) {
            texts.add("Once upon a time, there was a little girl named Lily. She liked to play in the park with her dog. ".repeat(k)
                    + "The end " + k + ".");
        }
        int longest = texts.stream().mapToInt(t -> model.tokenizer().encode(t, Integer.MAX_VALUE).length()).max().getAsInt();
        assertThat(TokenBatch.rowsPerPass(texts.size(), longest, 8)).as("slices of a batch of %d texts of %d tokens", texts.size(), longest)
                .isLessThan(texts.size());
        var together = tracelens.lm.Perplexity.compute(model, texts, 32, tracelens.progress.Progress.NONE);
        var alone = tracelens.lm.Perplexity.compute(model, texts, 1, tracelens.progress.Progress.NONE);
        for (int i = 0; i < texts.size(); i++) {
            assertThat(together.perText().get(i).tokens()).isEqualTo(alone.perText().get(i).tokens());
            assertThat(together.perText().get(i).nll()).as("text %d", i).isCloseTo(alone.perText().get(i).nll(),
                    org.assertj.core.data.Offset.offset(1e-5 * alone.perText().get(i).nll()));
        }
    }

    /**
     * Extraction runs a batch of long texts in slices of rows (at least 16, TokenBatch.rowsPerPass); every pooled row
     * lands at its own text's place and equals the text extracted alone.
     */
    @Test
    void slicedExtractionWritesEachTextsOwnRow() throws IOException {
        StringBuilder jsonl = new StringBuilder();
        List<String> texts = new ArrayList<>();
        for (int k = 0; k < 40; k++) { // 40 texts of ~130-260 tokens, in no order of length
            String t = ("Tom and Sue went to the park " + k + ". They saw a big dog and a small cat. ").repeat(4 + (k * 7) % 5);
            texts.add(t);
            jsonl.append("{\"text\":\"").append(t).append("\",\"source\":\"s").append(k % 3).append("\"}\n");
        }
        int longest = texts.stream().mapToInt(t -> model.tokenizer().encode(t, 512).length()).max().getAsInt();
        assertThat(TokenBatch.rowsPerPass(32, longest, 16)).as("a batch of 32 texts of %d tokens is sliced", longest).isLessThan(32);
        Path in = Files.writeString(dir.resolve("long.jsonl"), jsonl);
        float[][][] out = new float[2][][];
        int[] batch = {32, 1};
        for (int r = 0; r < 2; r++) {
            Path acts = dir.resolve("long-" + batch[r] + ".safetensors");
            CliRun run = CliRun.of("activations", "--model", SharedFiles.stories260K().toString(), "--tokenizer", SharedFiles.tok512().toString(),
                    "--input", in.toString(), "--layers", "5", "--max-length", "512", "--batch-size", String.valueOf(batch[r]),
                    "--out", acts.toString(), "--quiet");
            assertThat(run.exitCode()).as(run.err()).isZero();
            try (var f = tracelens.activations.ActivationFile.open(acts)) {
                out[r] = f.pooled(5);
            }
        }
        for (int i = 0; i < texts.size(); i++) {
            for (int d = 0; d < out[1][i].length; d++) {
                assertThat((double) Math.abs(out[0][i][d] - out[1][i][d])).as("text %d dim %d", i, d).isLessThan(1e-5);
            }
        }
    }

    @Test
    void rowsPerPassKeepsAttentionScoresSmall() {
        assertThat(TokenBatch.rowsPerPass(32, 90, 8)).isEqualTo(32);   // 32 x 90^2 fits: the whole batch
        assertThat(TokenBatch.rowsPerPass(32, 222, 8)).isEqualTo(8);   // 10 fit, a power of two below
        assertThat(TokenBatch.rowsPerPass(32, 222, 16)).isEqualTo(16); // the floor
        assertThat(TokenBatch.rowsPerPass(32, 258, 1)).isEqualTo(4);
        assertThat(TokenBatch.rowsPerPass(32, 4096, 1)).isEqualTo(1);
        assertThat(TokenBatch.rowsPerPass(3, 222, 8)).isEqualTo(3);
        assertThat(TokenBatch.rowsPerPass(12, 4096, 16)).isEqualTo(12);
    }

    @Test
    void kvCacheGivesTheSameLogitsAsFullPasses() {
        long[] ids = story();
        float[][] full = ourLogits(model, ids);
        try (NDManager root = DjlRuntime.manager(); var cache = new tracelens.model.decoder.KvCache(root, model.numLayers())) {
            for (int t = 0; t < ids.length; t++) {
                try (NDManager scope = root.newSubManager()) {
                    float[] step = model.forward(scope, 1, 1, new long[] {ids[t]}, new long[] {t}, new long[] {1}, cache,
                            tracelens.nn.Hooks.none(scope), true, true).toFloatArray();
                    for (int i = 0; i < step.length; i++) {
                        assertThat((double) Math.abs(step[i] - full[t][i])).as("position %d token %d", t, i).isLessThan(1e-4);
                    }
                }
            }
        }
    }

    @Test
    void paddedBatchGivesTheSameHiddenStatesAsOneTextAtATime() {
        List<String> texts = List.of("Once upon a time", "Tom had a big red ball and he liked to play with it every day.", "Hi");
        int[] all = {0, 1, 2, 3, 4, 5};
        List<TextTokenizer.Tokens> tokens = texts.stream().map(s -> model.tokenizer().encode(s, 512)).toList();
        try (NDManager scope = DjlRuntime.manager()) {
            TokenBatch batch = TokenBatch.of(tokens, model.tokenizer().padId(), true);
            SortedMap<Integer, NDArray> together = model.hiddenStates(scope, batch, all);
            int w = batch.width();
            int c = model.hiddenSize();
            for (int i = 0; i < texts.size(); i++) {
                SortedMap<Integer, NDArray> alone = model.hiddenStates(scope, TokenBatch.of(List.of(tokens.get(i)), 0, true), all);
                int n = tokens.get(i).length();
                for (int l : all) {
                    float[] a = alone.get(l).toFloatArray();
                    float[] b = together.get(l).toFloatArray();
                    for (int p = 0; p < n; p++) {
                        for (int d = 0; d < c; d++) {
                            float x = a[p * c + d];
                            float y = b[(i * w + (w - n) + p) * c + d];
                            assertThat((double) Math.abs(x - y)).as("text %d layer %d position %d", i, l, p).isLessThan(1e-5);
                        }
                    }
                }
            }
        }
    }

    /**
     * Hugging Face's Llama layout, written as its conversion script does (q and k rows permuted for rotate-half
     * RoPE by {@code w.view(n_heads, dim1 // n_heads // 2, 2, dim2).transpose(1, 2).reshape(dim1, dim2)}), loads
     * through the safetensors path and gives the reference's logits.
     */
    @Test
    void huggingFaceConversionGivesTheSameLogits() throws IOException {
        Path hf = Files.createDirectories(dir.resolve("stories260K-hf"));
        Llama2cReference r = reference;
        int hs = r.dim / r.nHeads;
        int kvDim = r.nKvHeads * hs;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        ByteBuffer raw = ByteBuffer.wrap(Files.readAllBytes(SharedFiles.stories260K())).order(ByteOrder.LITTLE_ENDIAN);
        raw.position(28);
        var f = raw.asFloatBuffer();
        float[] emb = take(f, r.vocabSize * r.dim);
        float[] rmsAtt = take(f, r.nLayers * r.dim);
        float[] wq = take(f, r.nLayers * r.dim * r.dim);
        float[] wk = take(f, r.nLayers * kvDim * r.dim);
        float[] wv = take(f, r.nLayers * kvDim * r.dim);
        float[] wo = take(f, r.nLayers * r.dim * r.dim);
        float[] rmsFfn = take(f, r.nLayers * r.dim);
        float[] w1 = take(f, r.nLayers * r.hiddenDim * r.dim);
        float[] w2 = take(f, r.nLayers * r.dim * r.hiddenDim);
        float[] w3 = take(f, r.nLayers * r.hiddenDim * r.dim);
        float[] rmsFinal = take(f, r.dim);
        put(shapes, values, "model.embed_tokens.weight", emb, r.vocabSize, r.dim);
        for (int l = 0; l < r.nLayers; l++) {
            String p = "model.layers." + l + ".";
            put(shapes, values, p + "input_layernorm.weight", part(rmsAtt, l, r.dim), r.dim);
            put(shapes, values, p + "self_attn.q_proj.weight", hfPermute(part(wq, l, r.dim * r.dim), r.nHeads, r.dim, r.dim), r.dim, r.dim);
            put(shapes, values, p + "self_attn.k_proj.weight", hfPermute(part(wk, l, kvDim * r.dim), r.nKvHeads, kvDim, r.dim), kvDim, r.dim);
            put(shapes, values, p + "self_attn.v_proj.weight", part(wv, l, kvDim * r.dim), kvDim, r.dim);
            put(shapes, values, p + "self_attn.o_proj.weight", part(wo, l, r.dim * r.dim), r.dim, r.dim);
            put(shapes, values, p + "post_attention_layernorm.weight", part(rmsFfn, l, r.dim), r.dim);
            put(shapes, values, p + "mlp.gate_proj.weight", part(w1, l, r.hiddenDim * r.dim), r.hiddenDim, r.dim);
            put(shapes, values, p + "mlp.down_proj.weight", part(w2, l, r.dim * r.hiddenDim), r.dim, r.hiddenDim);
            put(shapes, values, p + "mlp.up_proj.weight", part(w3, l, r.hiddenDim * r.dim), r.hiddenDim, r.dim);
        }
        put(shapes, values, "model.norm.weight", rmsFinal, r.dim);
        SafeTensorsWriter.writeAll(hf.resolve("model.safetensors"), shapes, values, Map.of("format", "pt"));
        Files.writeString(hf.resolve("config.json"), String.format("""
                {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "vocab_size": %d, "hidden_size": %d,
                 "intermediate_size": %d, "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d,
                 "max_position_embeddings": %d, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": true,
                 "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu"}""",
                r.vocabSize, r.dim, r.hiddenDim, r.nLayers, r.nHeads, r.nKvHeads, r.seqLen));
        try (Decoder converted = (Decoder) ModelLoader.load(hf.toString(), SharedFiles.tok512())) {
            assertThat(converted.config().family()).isEqualTo("llama");
            assertLogitsMatchReference(converted, "Hugging Face folder");
        }
        assertThat(DType.F32.bytes).isEqualTo(4);
    }

    private static float[] take(java.nio.FloatBuffer f, int n) {
        float[] a = new float[n];
        f.get(a);
        return a;
    }

    private static float[] part(float[] all, int layer, int size) {
        return Arrays.copyOfRange(all, layer * size, (layer + 1) * size);
    }

    private static void put(Map<String, long[]> shapes, Map<String, float[]> values, String name, float[] v, long... shape) {
        shapes.put(name, shape);
        values.put(name, v);
    }

    /** view(heads, dim1/heads/2, 2, dim2).transpose(1, 2).reshape(dim1, dim2), by index arithmetic. */
    static float[] hfPermute(float[] w, int heads, int dim1, int dim2) {
        int half = dim1 / heads / 2;
        float[] out = new float[w.length];
        for (int h = 0; h < heads; h++) {
            for (int a = 0; a < half; a++) {
                for (int b = 0; b < 2; b++) {
                    int src = ((h * half + a) * 2 + b) * dim2;   // view index (h, a, b)
                    int dst = ((h * 2 + b) * half + a) * dim2;   // after transpose(1, 2): (h, b, a)
                    System.arraycopy(w, src, out, dst, dim2);
                }
            }
        }
        return out;
    }
}
