package tracelens.model;

import ai.djl.ndarray.NDManager;
import tracelens.model.decoder.DecoderBlock;

import java.nio.file.Files;
import java.nio.file.Path;
import tracelens.error.InvalidInputException;
import tracelens.error.UnsupportedModelException;
import tracelens.model.decoder.Decoder;
import tracelens.model.decoder.DecoderConfig;
import tracelens.model.decoder.DecoderParams;
import tracelens.model.decoder.HfConfig;
import tracelens.model.gpt2.Gpt2Family;
import tracelens.model.llama.Llama2cCheckpoint;
import tracelens.model.llama.Llama2cTokenizer;
import tracelens.model.llama.LlamaFamily;
import tracelens.model.neox.NeoxFamily;

/** Builds {@link Decoder}s from Hugging Face folders (by model_type) and llama2.c checkpoints. */
public final class DecoderLoader {

    private DecoderLoader() {}

    public static Decoder loadLlama2c(Path checkpoint, Path tokenizerFile) {
        return loadLlama2c(checkpoint, tokenizerFile, MemoryBudget.AUTO);
    }

    public static Decoder loadLlama2c(Path checkpoint, Path tokenizerFile, MemoryBudget budget) {
        Llama2cCheckpoint params = Llama2cCheckpoint.open(checkpoint);
        Llama2cTokenizer tokenizer = Llama2cTokenizer.load(tokenizerFile);
        checkVocab(tokenizerFile, tokenizer, params.config());
        return build(checkpoint.toString(), params.config(), params, tokenizer, budget); // its close() is a no-op
    }

    /** A decoder saved by tracelens (see {@link tracelens.model.decoder.SavedDecoder}); {@code tokenizerFile} overrides the recorded one. */
    public static Decoder loadSaved(Path file, Path tokenizerFile) {
        return loadSaved(file, tokenizerFile, MemoryBudget.AUTO);
    }

    public static Decoder loadSaved(Path file, Path tokenizerFile, MemoryBudget budget) {
        tracelens.model.decoder.SavedDecoder params = tracelens.model.decoder.SavedDecoder.open(file);
        Path tok = tokenizerFile != null ? tokenizerFile : params.tokenizer();
        if (tok == null || !Files.isRegularFile(tok)) {
            params.close();
            throw InvalidInputException.at(file, "its tokenizer " + (tok == null ? "is not recorded" : tok + " is missing") + ": give --tokenizer FILE");
        }
        TextTokenizer tokenizer;
        if (tok.getFileName().toString().endsWith(".bin")) {
            tokenizer = Llama2cTokenizer.load(tok);
        } else {
            HfTokenizer hf = HfTokenizer.load(tok);
            tokenizer = hf.padId() == 0 && params.config().eosId() >= 0 ? hf.withPadId(params.config().eosId()) : hf;
        }
        checkVocab(tok, tokenizer, params.config());
        boolean owned = false;
        try {
            Decoder d = build(file.toString(), params.config(), params, tokenizer, budget);
            owned = d.streamed(); // a streamed decoder reads its blocks from params and closes them itself
            return d;
        } finally {
            if (!owned) {
                params.close();
            }
        }
    }

    public static Decoder loadHuggingFace(Path dir, String type, Path tokenizerFile) {
        return loadHuggingFace(dir, type, tokenizerFile, MemoryBudget.AUTO);
    }

    public static Decoder loadHuggingFace(Path dir, String type, Path tokenizerFile, MemoryBudget budget) {
        HfConfig hf = HfConfig.read(dir.resolve("config.json"));
        Path tokJson = tokenizerFile != null ? tokenizerFile : dir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokJson)) {
            throw InvalidInputException.at(tokenizerFile != null ? tokJson : dir, tokenizerFile != null
                    ? "tokenizer file not found" : "tokenizer.json is missing from the model folder");
        }
        TensorStore store = TensorStores.open(dir);
        boolean owned = false; // a streamed decoder reads its blocks from the store and closes it itself
        try {
            Family f = family(dir, type, hf, store);
            DecoderConfig config = f.config();
            DecoderParams params = f.params();
            if (tokJson.getFileName().toString().endsWith(".bin")) { // a converted llama2.c model keeps its tokenizer
                Llama2cTokenizer tokenizer = Llama2cTokenizer.load(tokJson);
                checkVocab(tokJson, tokenizer, config);
                Decoder d = build(dir.toString(), config, params, tokenizer, budget);
                owned = d.streamed();
                return d;
            }
            HfTokenizer tokenizer = HfTokenizer.load(tokJson);
            checkVocab(tokJson, tokenizer, config);
            // decoders pad with the tokenizer's pad token if it names one, else with EOS (masked either way)
            TextTokenizer tok = tokenizer.padId() == 0 && config.eosId() >= 0 ? tokenizer.withPadId(config.eosId()) : tokenizer;
            Decoder d = build(dir.toString(), config, params, tok, budget);
            owned = d.streamed();
            return d;
        } finally {
            if (!owned) {
                store.close();
            }
        }
    }

    /**
     * Block {@code layer} of a decoder checkpoint (llama2.c file or Hugging Face folder) and nothing else: the one block a
     * pipeline plugs in (PiFi). Negative layers count from the end, as Python indexes. {@code weights} will own it.
     */
    public static DecoderBlock loadBlock(Path model, int layer, NDManager weights) {
        if (Files.isRegularFile(model)) {
            try (Llama2cCheckpoint params = Llama2cCheckpoint.open(model)) {
                return DecoderBlock.load(params.config(), params, resolveLayer(model, layer, params.config()), weights);
            }
        }
        String type = ModelLoader.modelType(model);
        HfConfig hf = HfConfig.read(model.resolve("config.json"));
        try (TensorStore store = TensorStores.open(model)) {
            Family f = family(model, type, hf, store);
            DecoderConfig config = f.config();
            DecoderParams params = f.params();
            return DecoderBlock.load(config, params, resolveLayer(model, layer, config), weights);
        }
    }

    private record Family(DecoderConfig config, DecoderParams params) {}

    /** The configuration and parameter naming of a Hugging Face decoder folder, by its model_type. */
    private static Family family(Path dir, String type, HfConfig hf, TensorStore store) {
        return switch (type) {
            case "llama", "mistral", "qwen2" -> new Family(LlamaFamily.config(hf, store.contains("lm_head.weight")),
                    new LlamaFamily.Params(store));
            case "gpt_neox" -> {
                DecoderConfig c = NeoxFamily.config(hf);
                yield new Family(c, new NeoxFamily.Params(store, c));
            }
            case "gpt2" -> {
                DecoderConfig c = Gpt2Family.config(hf);
                yield new Family(c, new Gpt2Family.Params(store, c));
            }
            default -> throw new UnsupportedModelException(dir.resolve("config.json") + ": model_type '" + type
                    + "' is not supported as a decoder (decoders: llama, mistral, qwen2, gpt_neox, gpt2)");
        };
    }

    private static int resolveLayer(Path model, int layer, DecoderConfig config) {
        int n = config.numLayers();
        int l = layer < 0 ? n + layer : layer;
        if (l < 0 || l >= n) {
            throw InvalidInputException.field("llm_layer", " " + layer + " is out of range: " + model + " has blocks 0.." + (n - 1)
                    + " (or -1..-" + n + " from the end)");
        }
        return l;
    }

    private static void checkVocab(Path tokenizerFile, TextTokenizer tokenizer, DecoderConfig config) {
        if (tokenizer.vocabSize() > config.vocabSize()) {
            tokenizer.close();
            throw InvalidInputException.at(tokenizerFile, "tokenizer has " + tokenizer.vocabSize()
                    + " tokens but the model's vocabulary has " + config.vocabSize() + ": they do not belong together");
        }
    }

    /** Resident or block-streamed, as {@code budget} allows (see MemoryBudget). */
    private static Decoder build(String id, DecoderConfig config, DecoderParams params, TextTokenizer tokenizer, MemoryBudget budget) {
        long resident = 4 * Decoder.parameterCount(config);
        long streamed = 4 * (Decoder.residentParameterCount(config) + DecoderBlock.parameterCount(config));
        MemoryBudget.Residency r;
        try {
            r = budget.choose(id, resident, streamed);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        return ModelLoader.withWeights(tokenizer, weights -> new Decoder(id, config, params, tokenizer, weights,
                r == MemoryBudget.Residency.STREAMED));
    }
}
