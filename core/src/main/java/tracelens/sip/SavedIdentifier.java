package tracelens.sip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tracelens.error.InvalidInputException;
import tracelens.model.SafeTensors;
import tracelens.model.SafeTensorsWriter;

/**
 * A trained source identifier on disk, so it can label new texts without retraining: its parameters (safetensors,
 * {@code layers.<i>.weight/bias}, {@code norm.*}) and, in the metadata, the architecture, the source names in class
 * order, the model and layer whose states it reads, how those states are made ({@code features}), and the run's
 * provenance. Format {@code tracelens.identifier/1}.
 */
public final class SavedIdentifier {
    public static final String FORMAT = "tracelens.identifier/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What an identifier reads and names. {@code features}: e.g. "mean-pooled, LayerNorm per row". */
    public record Info(String model, String modelSha256, int layer, String features, List<String> sources, int[] hidden,
            boolean layerNorm, int inputs, String provenance, Identifier.Act activation) {
        public Info(String model, String modelSha256, int layer, String features, List<String> sources, int[] hidden,
                boolean layerNorm, int inputs, String provenance) {
            this(model, modelSha256, layer, features, sources, hidden, layerNorm, inputs, provenance, Identifier.Act.RELU);
        }
    }

    private SavedIdentifier() {}

    public static void save(Identifier net, Info info, Path file) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("model", info.model());
        meta.put("model_sha256", String.valueOf(info.modelSha256()));
        meta.put("layer", String.valueOf(info.layer()));
        meta.put("features", info.features());
        meta.put("inputs", String.valueOf(info.inputs()));
        meta.put("layer_norm", String.valueOf(info.layerNorm()));
        meta.put("activation", net.activation().name().toLowerCase(java.util.Locale.ROOT));
        try {
            meta.put("sources", JSON.writeValueAsString(info.sources()));
            meta.put("hidden", JSON.writeValueAsString(info.hidden()));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        if (info.provenance() != null) {
            meta.put("provenance", info.provenance());
        }
        SafeTensorsWriter.writeArrays(file, net.parameters().asMap(), meta);
    }

    private static final String[] NGRAMS = {null, "unigram", "bigram", "trigram"};

    /** The features of a token-level identifier: n-gram rows of one layer's token states; {@code madeBy} names the command. */
    public static String tokenRows(int ngram, String madeBy) {
        return "token " + NGRAMS[ngram] + " rows [h_t; h_t+1; ...] (" + madeBy + ")";
    }

    /** The n of a token-level identifier's features (see {@link #tokenRows}), or -1 when it reads something else. */
    public static int tokenRowsNgram(String features) {
        for (int n = 1; n < NGRAMS.length; n++) {
            if (features != null && features.startsWith("token " + NGRAMS[n] + " rows ")) {
                return n;
            }
        }
        return -1;
    }

    /**
     * Refuses to apply the identifier in {@code file} to model {@code id} when the identifier recorded other weights
     * (a SHA-256 of the model's files that differs): its features would come from another model.
     */
    public static void checkModel(Path file, Info info, String id) {
        String digest = tracelens.provenance.Provenance.modelDigest(id);
        if (info.modelSha256() != null && !"null".equals(info.modelSha256()) && !info.modelSha256().equals(digest)) {
            throw InvalidInputException.at(file, "was trained on " + info.model() + " (weights sha256 " + info.modelSha256().substring(0, 12)
                    + "), but " + id + " has sha256 " + (digest == null ? "none" : digest.substring(0, 12)) + ": another model");
        }
    }

    /** The metadata of a saved identifier, checked to be one. */
    public static Info info(Path file) {
        Map<String, String> m = SafeTensors.headerMetadata(file);
        if (!FORMAT.equals(m.get("format"))) {
            throw InvalidInputException.at(file, "not a saved identifier (metadata 'format' is " + m.get("format") + ", expected " + FORMAT + ")");
        }
        try {
            return new Info(m.get("model"), m.get("model_sha256"), Integer.parseInt(m.get("layer")), m.get("features"),
                    Arrays.asList(JSON.readValue(m.get("sources"), String[].class)), JSON.readValue(m.get("hidden"), int[].class),
                    Boolean.parseBoolean(m.get("layer_norm")), Integer.parseInt(m.get("inputs")), m.get("provenance"),
                    Identifier.Act.parse(m.getOrDefault("activation", "relu")));
        } catch (JsonProcessingException | NumberFormatException | NullPointerException e) {
            throw InvalidInputException.at(file, "saved identifier with unreadable metadata (" + e.getMessage() + ")");
        }
    }

    /** The identifier, its parameters read from {@code file} (shapes checked); the caller closes it. */
    public static Identifier load(NDManager m, Path file) {
        Info info = info(file);
        Identifier net = new Identifier(m, info.inputs(), info.hidden(), info.sources().size(), 0, info.layerNorm(), info.activation());
        try (SafeTensors st = SafeTensors.open(file)) {
            for (Map.Entry<String, NDArray> e : net.parameters().asMap().entrySet()) {
                if (!st.contains(e.getKey())) {
                    throw InvalidInputException.at(file, "tensor '" + e.getKey() + "' is missing");
                }
                long[] want = e.getValue().getShape().getShape();
                if (!Arrays.equals(st.info(e.getKey()).shape(), want)) {
                    throw InvalidInputException.at(file, "tensor '" + e.getKey() + "'", "has shape " + Arrays.toString(st.info(e.getKey()).shape())
                            + ", expected " + Arrays.toString(want));
                }
                e.getValue().set(st.floats(e.getKey()));
            }
        }
        return net;
    }
}
