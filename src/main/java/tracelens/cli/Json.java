package tracelens.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Builds the JSON results of commands; every result carries a {@code schemaVersion}. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final int SCHEMA_VERSION = 1;

    private Json() {}

    static ObjectNode result(String command) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("schemaVersion", SCHEMA_VERSION);
        n.put("command", command);
        return n;
    }

    /** Puts a number, or null where it is undefined: JSON has no NaN or infinity. */
    static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }

    static String write(Object node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
