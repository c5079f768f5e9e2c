import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SortedMap;
import tracelens.lm.Generator;
import tracelens.lm.Sampler;
import tracelens.model.DType;
import tracelens.model.ModelLoader;
import tracelens.model.SafeTensorsWriter;
import tracelens.model.decoder.Decoder;
import tracelens.runtime.DjlRuntime;

/**
 * Decoder forward throughput with every hidden state returned, for a Llama-shaped model of about 110M parameters
 * with random weights in a Hugging Face folder. Run through bench/decoder-throughput.sh, which times PyTorch on the
 * same folder, ids and threads.
 *
 * Usage: make DIR | forward DIR threads batch tokens rounds | generate DIR threads newTokens
 */
public class DecoderThroughput {
    static final int V = 32000, C = 768, L = 12, H = 12, KV = 4, F = 2048, P = 1024;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[1]);
        switch (args[0]) {
            case "make" -> make(dir);
            case "forward" -> forward(dir, Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]), Integer.parseInt(args[5]));
            case "generate" -> generate(dir, Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            default -> throw new IllegalArgumentException(args[0]);
        }
    }

    static void make(Path dir) throws Exception {
        Files.createDirectories(dir);
        Random r = new Random(1);
        int kv = KV * (C / H);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {V, C});
        for (int l = 0; l < L; l++) {
            String p = "model.layers." + l + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {C});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {C, C});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {kv, C});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {kv, C});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {C, C});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {C});
            shapes.put(p + "mlp.gate_proj.weight", new long[] {F, C});
            shapes.put(p + "mlp.up_proj.weight", new long[] {F, C});
            shapes.put(p + "mlp.down_proj.weight", new long[] {C, F});
        }
        shapes.put("model.norm.weight", new long[] {C});
        List<SafeTensorsWriter.Spec> specs = new ArrayList<>();
        long params = 0;
        for (var e : shapes.entrySet()) {
            specs.add(new SafeTensorsWriter.Spec(e.getKey(), DType.F32, e.getValue()));
            params += Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
        }
        try (SafeTensorsWriter w = SafeTensorsWriter.create(dir.resolve("model.safetensors"), specs, Map.of("format", "pt"))) {
            for (var e : shapes.entrySet()) {
                int n = (int) Arrays.stream(e.getValue()).reduce(1, (a, b) -> a * b);
                boolean norm = e.getKey().endsWith("layernorm.weight") || e.getKey().equals("model.norm.weight");
                ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    b.putFloat(norm ? 1f : (float) (r.nextGaussian() * 0.02));
                }
                w.write(e.getKey(), 0, b.flip());
            }
            w.commit();
        }
        Files.writeString(dir.resolve("config.json"), String.format("""
                {"model_type": "llama", "vocab_size": %d, "hidden_size": %d, "intermediate_size": %d, "num_hidden_layers": %d,
                 "num_attention_heads": %d, "num_key_value_heads": %d, "max_position_embeddings": %d, "rms_norm_eps": 1e-06,
                 "rope_theta": 10000.0, "tie_word_embeddings": true, "bos_token_id": 1, "eos_token_id": 2}""", V, C, F, L, H, KV, P));
        StringBuilder vocab = new StringBuilder("{\"<unk>\": 0");
        for (int i = 1; i < V; i++) {
            vocab.append(", \"w").append(i).append("\": ").append(i);
        }
        Files.writeString(dir.resolve("tokenizer.json"), "{\"version\": \"1.0\", \"added_tokens\": [], \"normalizer\": null, "
                + "\"pre_tokenizer\": {\"type\": \"WhitespaceSplit\"}, \"post_processor\": null, \"decoder\": null, "
                + "\"model\": {\"type\": \"WordLevel\", \"vocab\": " + vocab + "}, \"unk_token\": \"<unk>\"}}");
        System.out.printf("wrote %s: %.1fM parameters%n", dir, params / 1e6);
    }

    static long[] ids(int b, int t) {
        long[] ids = new long[b * t];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 3 + (i * 7919L) % (V - 3);
        }
        return ids;
    }

    static void forward(Path dir, int threads, int b, int t, int rounds) {
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        try (Decoder m = (Decoder) ModelLoader.load(dir.toString()); NDManager root = DjlRuntime.manager()) {
            long[] ids = ids(b, t);
            List<tracelens.model.TextTokenizer.Tokens> rows = new ArrayList<>();
            for (int i = 0; i < b; i++) {
                rows.add(tracelens.model.TextTokenizer.Tokens.of(Arrays.copyOfRange(ids, i * t, (i + 1) * t)));
            }
            tracelens.model.TokenBatch batch = tracelens.model.TokenBatch.of(rows, 0, true); // no padding: every row is t long
            int[] all = new int[L + 1];
            for (int i = 0; i <= L; i++) {
                all[i] = i;
            }
            double[] rates = new double[rounds];
            for (int r = -1; r < rounds; r++) {
                long t0 = System.nanoTime();
                try (NDManager scope = root.newSubManager()) {
                    SortedMap<Integer, NDArray> h = m.hiddenStates(scope, batch, all); // every hidden state, recorded by hooks
                    if (h.size() != L + 1) {
                        throw new IllegalStateException();
                    }
                }
                if (r >= 0) {
                    rates[r] = b * t / ((System.nanoTime() - t0) / 1e9);
                }
            }
            Arrays.sort(rates);
            System.out.printf("tracelens forward: threads=%d batch=%d tokens=%d median %.0f tokens/s (min %.0f, max %.0f)%n",
                    threads, b, t, rates[rounds / 2], rates[0], rates[rounds - 1]);
        }
    }

    static void generate(Path dir, int threads, int n) {
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        try (Decoder m = (Decoder) ModelLoader.load(dir.toString())) {
            String prompt = "w5 w9 w77 w300 w12 w8 w1000 w31 w2 w7 w99 w45 w600 w13 w14 w15";
            Generator.generate(m, prompt, 8, new Sampler(0, 0, 1), true, null); // warm-up
            var cached = Generator.generate(m, prompt, n, new Sampler(0, 0, 1), true, null);
            var full = Generator.generate(m, prompt, n, new Sampler(0, 0, 1), false, null);
            System.out.printf("generation (16-token prompt, %d new tokens, greedy): KV cache %.1f tokens/s, no cache %.1f tokens/s, ratio %.1fx; same tokens: %b%n",
                    n, cached.tokensPerSecond(), full.tokensPerSecond(), cached.tokensPerSecond() / full.tokensPerSecond(),
                    Arrays.equals(cached.generated(), full.generated()));
        }
    }
}
