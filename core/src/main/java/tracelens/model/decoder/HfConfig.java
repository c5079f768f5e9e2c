package tracelens.model.decoder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import tracelens.error.InvalidInputException;

/** A Hugging Face {@code config.json} with typed field access whose errors name the file and field. */
public record HfConfig(Path file, JsonNode root) {
    public static HfConfig read(Path file) {
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            if (root == null || !root.isObject()) {
                throw InvalidInputException.at(file, "expected a JSON object");
            }
            return new HfConfig(file, root);
        } catch (IOException e) {
            throw InvalidInputException.at(file, "not valid JSON: " + e.getMessage());
        }
    }

    public String modelType() {
        return root.path("model_type").asText("");
    }

    public int integer(String field) {
        JsonNode n = root.get(field);
        if (n == null || !n.isIntegralNumber() || !n.canConvertToInt()) {
            throw InvalidInputException.at(file, "field '" + field + "'", "expected an integer, found " + n);
        }
        return n.asInt();
    }

    /** A count that must be at least 1 (heads, layers, sizes): 0 would divide by zero further on (issue 15). */
    public int positive(String field) {
        int v = integer(field);
        if (v < 1) {
            throw InvalidInputException.at(file, "field '" + field + "'", "must be at least 1, found " + v);
        }
        return v;
    }

    public int integer(String field, int fallback) {
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? fallback : integer(field);
    }

    public double number(String field, double fallback) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return fallback;
        }
        if (!n.isNumber()) {
            throw InvalidInputException.at(file, "field '" + field + "'", "expected a number, found " + n);
        }
        return n.asDouble();
    }

    public boolean flag(String field, boolean fallback) {
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? fallback : n.asBoolean(fallback);
    }

    public String text(String field, String fallback) {
        JsonNode n = root.get(field);
        return n == null || n.isNull() ? fallback : n.asText();
    }

    /** A token id field that may be a number, a list (first entry) or absent (-1). */
    public long tokenId(String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) {
            return -1;
        }
        if (n.isArray()) {
            return n.size() == 0 ? -1 : n.get(0).asLong();
        }
        return n.asLong(-1);
    }

    public boolean has(String field) {
        JsonNode n = root.get(field);
        return n != null && !n.isNull();
    }

    /** Builds the decoder configuration; its consistency errors (heads not dividing the width, ...) name this file. */
    public DecoderConfig checked(java.util.function.Supplier<DecoderConfig> build) {
        try {
            return build.get();
        } catch (tracelens.error.InvalidInputException e) {
            throw e.getMessage().startsWith(file.toString()) ? e : tracelens.error.InvalidInputException.at(file, e.getMessage());
        }
    }
}
