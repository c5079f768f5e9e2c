package tracelens.model.bert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import tracelens.error.InvalidInputException;
import tracelens.io.AtomicFolder;
import tracelens.model.ModelLoader;
import tracelens.model.SafeTensorsWriter;

/**
 * Writes a BERT encoder as a Hugging Face folder: config.json (BertModel), model.safetensors with Hugging Face's
 * parameter names (no "bert." prefix, as BertModel.save_pretrained writes them) and the tokenizer.json it was loaded
 * with, so {@code --model DIR} and transformers' {@code AutoModel.from_pretrained(DIR)} load it.
 */
public final class HfBertFolder {
    private HfBertFolder() {}

    public static void save(Bert bert, byte[] tokenizerJson, Path dir, Map<String, String> metadata) {
        BertConfig c = bert.config();
        ObjectNode cfg = new ObjectMapper().createObjectNode();
        cfg.putArray("architectures").add("BertModel");
        cfg.put("model_type", "bert").put("hidden_act", "gelu").put("vocab_size", c.vocabSize()).put("hidden_size", c.hiddenSize())
                .put("num_hidden_layers", c.numLayers()).put("num_attention_heads", c.numHeads())
                .put("intermediate_size", c.intermediateSize()).put("max_position_embeddings", c.maxPositions())
                .put("type_vocab_size", c.typeVocabSize()).put("layer_norm_eps", c.layerNormEps())
                .put("hidden_dropout_prob", 0.1).put("attention_probs_dropout_prob", 0.1).put("initializer_range", 0.02)
                .put("pad_token_id", 0).put("position_embedding_type", "absolute").put("torch_dtype", "float32");
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", "pt"); // what transformers' safetensors loader expects
        try {
            AtomicFolder.write(dir, tmp -> {
                Files.writeString(tmp.resolve("config.json"), new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(cfg));
                SafeTensorsWriter.writeArrays(tmp.resolve("model.safetensors"), bert.parameters().asMap(), meta);
                Files.write(tmp.resolve("tokenizer.json"), tokenizerJson);
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e.getMessage(), e); // AtomicFolder's message: "cannot write DIR: why"
        }
    }

    /** The tokenizer.json a model was loaded with: the built-in's, or the one in its folder. */
    public static byte[] tokenizerJson(String model) {
        try {
            if (model.equals(ModelLoader.MINILM)) {
                try (InputStream in = ModelLoader.resource(ModelLoader.MINILM_TOKENIZER_RESOURCE)) {
                    return in.readAllBytes();
                }
            }
            Path dir = tracelens.model.HubCache.resolve(model);
            Path tok = dir.resolve("tokenizer.json");
            if (!Files.isRegularFile(tok)) {
                throw InvalidInputException.at(dir, "has no tokenizer.json to save beside the fine-tuned weights");
            }
            return Files.readAllBytes(tok);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
