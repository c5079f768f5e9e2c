package tracelens.model.bert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import tracelens.error.InvalidInputException;
import tracelens.error.UnsupportedModelException;

/** The blueprint of a BERT encoder, parsed once from a Hugging Face {@code config.json} and validated. */
public record BertConfig(int vocabSize, int hiddenSize, int numLayers, int numHeads, int intermediateSize,
        int maxPositions, int typeVocabSize, float layerNormEps) {

    public BertConfig {
        if (hiddenSize <= 0 || numHeads <= 0 || hiddenSize % numHeads != 0) {
            throw new InvalidInputException("hidden_size (" + hiddenSize + ") must be a positive multiple of num_attention_heads (" + numHeads + ")");
        }
        if (numLayers <= 0 || vocabSize <= 0 || intermediateSize <= 0 || maxPositions <= 0 || typeVocabSize <= 0) {
            throw new InvalidInputException("num_hidden_layers, vocab_size, intermediate_size, max_position_embeddings and type_vocab_size must be positive");
        }
    }

    /** all-MiniLM-L6-v2 (sentence-transformers), as in its config.json. */
    public static final BertConfig MINILM_L6 = new BertConfig(30522, 384, 6, 12, 1536, 512, 2, 1e-12f);

    public int headSize() {
        return hiddenSize / numHeads;
    }

    /** Reads a BERT {@code config.json}; names the file and field at fault. */
    public static BertConfig read(Path configJson) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(configJson.toFile());
        } catch (IOException e) {
            throw InvalidInputException.at(configJson, "not valid JSON: " + e.getMessage());
        }
        String type = root.path("model_type").asText("");
        if (!type.equals("bert")) {
            throw new UnsupportedModelException(configJson + ": field 'model_type' is '" + type + "', expected 'bert'");
        }
        String act = root.path("hidden_act").asText("gelu");
        if (!act.equals("gelu")) {
            throw new UnsupportedModelException(configJson + ": field 'hidden_act' is '" + act + "'; only 'gelu' (erf) is supported");
        }
        try {
            return new BertConfig(
                    intField(root, configJson, "vocab_size"),
                    intField(root, configJson, "hidden_size"),
                    intField(root, configJson, "num_hidden_layers"),
                    intField(root, configJson, "num_attention_heads"),
                    intField(root, configJson, "intermediate_size"),
                    intField(root, configJson, "max_position_embeddings"),
                    root.path("type_vocab_size").asInt(2),
                    (float) root.path("layer_norm_eps").asDouble(1e-12));
        } catch (InvalidInputException e) {
            throw e.getMessage().startsWith(configJson.toString()) ? e : InvalidInputException.at(configJson, e.getMessage());
        }
    }

    static int intField(JsonNode root, Path file, String field) {
        JsonNode n = root.get(field);
        if (n == null || !n.canConvertToInt() || !n.isIntegralNumber()) {
            throw InvalidInputException.at(file, "field '" + field + "'", "expected an integer, found " + n);
        }
        return n.asInt();
    }
}
