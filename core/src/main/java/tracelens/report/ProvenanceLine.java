package tracelens.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One sentence saying where a page's numbers come from, from a result's {@code provenance} (see
 * tracelens.provenance.Provenance): model and digest, inputs and digests, the settings that shape the numbers, seed,
 * tracelens version, date and numerics. Pages print it so that a saved page still says what produced it.
 */
public final class ProvenanceLine {
    private ProvenanceLine() {}

    /** The sentence, or "" when there is no provenance (results written before it existed). */
    public static String of(JsonNode provenance) {
        if (provenance == null || provenance.isMissingNode() || provenance.isNull()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        JsonNode m = provenance.path("model");
        if (m.isObject()) {
            parts.add("model " + m.path("id").asText("?") + digest(m));
        }
        List<String> inputs = new ArrayList<>();
        for (JsonNode in : provenance.path("inputs")) {
            inputs.add(in.path("path").asText("?") + digest(in));
        }
        if (!inputs.isEmpty()) {
            parts.add("input" + (inputs.size() > 1 ? "s " : " ") + String.join(", ", inputs));
        }
        List<String> settings = new ArrayList<>();
        provenance.path("settings").fields().forEachRemaining(e -> settings.add(e.getKey() + " " + e.getValue().asText()));
        if (!settings.isEmpty()) {
            parts.add("settings: " + String.join(", ", settings));
        }
        if (provenance.hasNonNull("seed")) {
            parts.add("seed " + provenance.get("seed").asText());
        }
        parts.add(String.format(Locale.ROOT, "tracelens %s, %s, %s", provenance.path("tracelens").asText("?"),
                provenance.path("created").asText("?"), provenance.path("numerics").asText("?")));
        return "Provenance: " + provenance.path("command").asText("tracelens") + "; " + String.join("; ", parts) + ".";
    }

    private static String digest(JsonNode n) {
        String sha = n.path("sha256").asText("");
        return sha.isEmpty() ? "" : " (sha256 " + sha.substring(0, Math.min(12, sha.length())) + ")";
    }
}
