package tracelens.model.bert;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.model.SafeTensorsWriter;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.runtime.DjlRuntime;

/**
 * MiniLM re-saved as a Hugging Face folder (config.json, safetensors with HF names, tokenizer.json) must load
 * through the safetensors path and give the built-in model's hidden states: exactly in f32 (also sharded),
 * closely in bf16 and f16.
 */
class HfBertFolderTest {
    @TempDir
    static Path dir;
    static HiddenStateModel builtin;
    static OnnxBertStore onnx;

    @BeforeAll
    static void load() throws IOException {
        builtin = ModelLoader.load("minilm");
        try (InputStream in = ModelLoader.resource("/all-minilm-l6-v2.onnx")) {
            onnx = OnnxBertStore.read("minilm", in, 6);
        }
    }

    @AfterAll
    static void close() {
        builtin.close();
        onnx.close();
    }

    static List<String> names() {
        List<String> n = new ArrayList<>(List.of("embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias"));
        for (int l = 0; l < 6; l++) {
            for (String s : List.of("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                    "intermediate.dense", "output.dense")) {
                n.add("encoder.layer." + l + "." + s + ".weight");
                n.add("encoder.layer." + l + "." + s + ".bias");
            }
            for (String s : List.of("attention.output.LayerNorm", "output.LayerNorm")) {
                n.add("encoder.layer." + l + "." + s + ".weight");
                n.add("encoder.layer." + l + "." + s + ".bias");
            }
        }
        return n;
    }

    /** Writes the given tensors of MiniLM in {@code dtype} to one safetensors file. */
    static void writeShard(Path file, List<String> names, DType dtype) {
        List<SafeTensorsWriter.Spec> specs = names.stream().map(n -> new SafeTensorsWriter.Spec(n, dtype, onnx.shape(n))).toList();
        try (SafeTensorsWriter w = SafeTensorsWriter.create(file, specs, Map.of("format", "pt"))) {
            for (String n : names) {
                ByteBuffer f = onnx.float32(n);
                int count = f.remaining() / 4;
                ByteBuffer out = ByteBuffer.allocate(count * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < count; i++) {
                    float v = f.getFloat();
                    switch (dtype) {
                        case F32 -> out.putFloat(v);
                        case F16 -> out.putShort(DType.floatToHalf(v));
                        case BF16 -> { // round to nearest even, as torch does
                            int bits = Float.floatToRawIntBits(v);
                            out.putShort((short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16));
                        }
                        default -> throw new IllegalArgumentException();
                    }
                }
                w.write(n, 0, out.flip());
            }
            w.commit();
        }
    }

    static Path folder(String name) throws IOException {
        Path d = Files.createDirectories(dir.resolve(name));
        Files.writeString(d.resolve("config.json"), """
                {"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 30522, "hidden_size": 384,
                 "num_hidden_layers": 6, "num_attention_heads": 12, "intermediate_size": 1536, "hidden_act": "gelu",
                 "max_position_embeddings": 512, "type_vocab_size": 2, "layer_norm_eps": 1e-12}""");
        try (InputStream in = ModelLoader.resource("/all-minilm-l6-v2-tokenizer.json")) {
            Files.write(d.resolve("tokenizer.json"), in.readAllBytes());
        }
        return d;
    }

    static float[] lastLayer(HiddenStateModel m, List<String> texts) {
        List<TextTokenizer.Tokens> tokens = texts.stream().map(s -> m.tokenizer().encode(s, 64)).toList();
        TokenBatch batch = TokenBatch.of(tokens, m.tokenizer().padId(), false);
        try (NDManager scope = DjlRuntime.manager()) {
            NDArray h = m.hiddenStates(scope, batch, new int[] {6}).get(6);
            return h.toFloatArray();
        }
    }

    static final List<String> TEXTS = List.of("The State of the Union is strong.", "Taxes", "We choose to go to the moon in this decade.");

    @Test
    void shardedF32FolderGivesIdenticalHiddenStates() throws IOException {
        Path d = folder("sharded");
        List<String> all = names();
        List<String> first = all.subList(0, 40);
        List<String> second = all.subList(40, all.size());
        writeShard(d.resolve("model-00001-of-00002.safetensors"), first, DType.F32);
        writeShard(d.resolve("model-00002-of-00002.safetensors"), second, DType.F32);
        Map<String, String> map = new LinkedHashMap<>();
        first.forEach(n -> map.put(n, "model-00001-of-00002.safetensors"));
        second.forEach(n -> map.put(n, "model-00002-of-00002.safetensors"));
        new com.fasterxml.jackson.databind.ObjectMapper().writeValue(d.resolve("model.safetensors.index.json").toFile(),
                Map.of("metadata", Map.of(), "weight_map", map));
        try (HiddenStateModel hf = ModelLoader.load(d.toString())) {
            assertThat(hf.numLayers()).isEqualTo(6);
            assertThat(lastLayer(hf, TEXTS)).containsExactly(lastLayer(builtin, TEXTS));
        }
    }

    @Test
    void halfPrecisionCheckpointsAreWidened() throws IOException {
        float[] reference = lastLayer(builtin, TEXTS);
        for (DType dtype : List.of(DType.F16, DType.BF16)) {
            Path d = folder("half-" + dtype);
            writeShard(d.resolve("model.safetensors"), names(), dtype);
            try (HiddenStateModel hf = ModelLoader.load(d.toString())) {
                float[] h = lastLayer(hf, TEXTS);
                double dot = 0, a = 0, b = 0, maxDiff = 0;
                for (int i = 0; i < h.length; i++) {
                    dot += h[i] * reference[i];
                    a += h[i] * h[i];
                    b += reference[i] * reference[i];
                    maxDiff = Math.max(maxDiff, Math.abs(h[i] - reference[i]));
                }
                assertThat(dot / Math.sqrt(a * b)).as("%s cosine to f32", dtype).isGreaterThan(0.999);
                assertThat(maxDiff).as("%s differs from f32 (rounded weights)", dtype).isGreaterThan(0);
            }
        }
    }

    @Test
    void missingOrMisshapedTensorIsNamed() throws IOException {
        Path d = folder("missing");
        List<String> some = new ArrayList<>(names());
        some.remove("encoder.layer.3.output.dense.bias");
        writeShard(d.resolve("model.safetensors"), some, DType.F32);
        assertThatThrownBy(() -> ModelLoader.load(d.toString())).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("encoder.layer.3.output.dense.bias").hasMessageContaining("missing");

        Path e = folder("misshaped");
        writeShard(e.resolve("model.safetensors"), names(), DType.F32);
        Files.writeString(e.resolve("config.json"), Files.readString(e.resolve("config.json")).replace("1536", "1024"));
        assertThatThrownBy(() -> ModelLoader.load(e.toString())).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("encoder.layer.0.intermediate.dense.weight").hasMessageContaining("[1536, 384]")
                .hasMessageContaining("expected [1024, 384]");
    }

    @Test
    void missingShardIsNamed() throws IOException {
        Path d = folder("noshard");
        Files.writeString(d.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"embeddings.word_embeddings.weight\": \"model-00001-of-00002.safetensors\"}}");
        assertThatThrownBy(() -> ModelLoader.load(d.toString())).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("model-00001-of-00002.safetensors").hasMessageContaining("missing");
    }
}
