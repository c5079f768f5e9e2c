package tracelens.results;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import tracelens.provenance.Provenance;

/**
 * The one place results become JSON. Every result object starts with {@code schemaVersion} and {@code command}, carries
 * a {@code provenance}, and writes a non-finite number as null with the reason added to its {@code notes} array.
 */
public final class Results {
    public static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    public static final ObjectMapper COMPACT = new ObjectMapper();
    public static final int SCHEMA_VERSION = 1;

    private Results() {}

    public static ObjectNode result(String command) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("schemaVersion", SCHEMA_VERSION);
        n.put("command", command);
        return n;
    }

    public static ObjectNode result(String command, Provenance provenance) {
        ObjectNode n = result(command);
        n.set("provenance", MAPPER.valueToTree(provenance));
        return n;
    }

    /** Puts a number, or null where it is undefined: JSON has no NaN or infinity. */
    public static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }

    /** Puts a number, or null and a line in {@code notes} saying why. */
    public static void number(ObjectNode o, String key, double v, String whyUndefined) {
        number(o, key, v);
        if (!Double.isFinite(v)) {
            ArrayNode notes = o.has("notes") ? (ArrayNode) o.get("notes") : o.putArray("notes");
            notes.add(key + ": " + whyUndefined);
        }
    }

    /** {@code KEY_ci95}: a 95% interval as [low, high], or null when it is undefined (no samples). */
    public static void interval(ObjectNode o, String key, double[] ci) {
        if (ci != null && Double.isFinite(ci[0]) && Double.isFinite(ci[1])) {
            o.putArray(key + "_ci95").add(ci[0]).add(ci[1]);
        } else {
            o.putNull(key + "_ci95");
        }
    }

    public static String write(Object node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
