package tracelens.results;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tracelens.io.AtomicFile;

/**
 * A results JSON as one tidy table for pandas, R or a spreadsheet: one row per layer, probe and metric, with the same
 * columns for every command ({@code sip run}, {@code sip train}, {@code ilm}, {@code geometry}, {@code finetune},
 * {@code pifi train}, {@code parchgrad evaluate}):
 * {@code model,layer,probe,metric,value,ci95_low,ci95_high}. Per-layer keys such as {@code linear_accuracy} split into
 * probe {@code linear} and metric {@code accuracy}; {@code KEY_ci95} becomes the interval columns of KEY's row; run-level
 * numbers (accuracy, MCC, chance, perplexity) get an empty layer, with their interval when the JSON has one; a
 * {@code summary} of items (parchgrad's method/variant pairs) gives one row per item and measure, the item as the
 * probe. Booleans and arrays stay in the JSON.
 */
public final class TidyCsv {
    private TidyCsv() {}

    public static final String HEADER = "model,layer,probe,metric,value,ci95_low,ci95_high";

    private static final List<String> PROBES = List.of("linear", "mlp", "nearest_centroid");
    private static final List<String> RUN_LEVEL = List.of("accuracy", "mcc", "macro_f1", "chance_accuracy", "top5_chance_accuracy",
            "perplexity", "validation_accuracy", "test_accuracy", "test_macro_f1");
    /** The same measure under one name whichever command wrote it. */
    private static final Map<String, String> ALIASES = Map.of("effect", "ilm_effect", "probe_accuracy", "ilm_probe_accuracy");

    public static void write(JsonNode result, Path csv) {
        String model = result.path("model").asText(result.path("selection").path("llm_type").asText(
                result.path("provenance").path("model").path("id").asText(result.path("slm").asText(""))));
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        for (String key : RUN_LEVEL) {
            JsonNode v = result.get(key);
            if (v != null && v.isNumber()) {
                row(b, model, "", "", key, v.asDouble(), result.get(key + "_ci95"));
            }
        }
        // per-item summaries ("grad/cls": {"mu_in": ...}, parchgrad evaluate): the item as the probe
        result.path("summary").fields().forEachRemaining(item -> item.getValue().fields().forEachRemaining(e -> {
            if (e.getValue().isNumber() && !e.getKey().endsWith("_ci95")) {
                row(b, model, "", item.getKey(), e.getKey(), e.getValue().asDouble(), item.getValue().get(e.getKey() + "_ci95"));
            }
        }));
        for (JsonNode l : result.path("layers")) {
            String layer = l.path("layer").asText("");
            l.fields().forEachRemaining(e -> {
                String key = e.getKey();
                if (key.equals("layer") || key.endsWith("_ci95") || !e.getValue().isNumber()) {
                    return;
                }
                String probe = "";
                String metric = ALIASES.getOrDefault(key, key);
                for (String p : PROBES) {
                    if (key.startsWith(p + "_")) {
                        probe = p;
                        metric = key.substring(p.length() + 1);
                    }
                }
                if (key.startsWith("top5_")) {
                    probe = "linear";
                }
                row(b, model, layer, probe, metric, e.getValue().asDouble(), l.get(key + "_ci95"));
            });
        }
        AtomicFile.writeString(csv, b.toString());
    }

    /** FILE.json's sibling FILE.csv (or FILE + ".csv"). */
    public static Path besideJson(Path json) {
        String name = json.getFileName().toString();
        String base = name.toLowerCase(Locale.ROOT).endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return json.resolveSibling(base + ".csv");
    }

    private static void row(StringBuilder b, String model, String layer, String probe, String metric, double v, JsonNode ci) {
        b.append(quote(model)).append(',').append(layer).append(',').append(probe).append(',').append(metric).append(',')
                .append(Double.isFinite(v) ? Double.toString(v) : "").append(',');
        if (ci != null && ci.isArray() && ci.size() == 2) {
            b.append(ci.get(0).asDouble()).append(',').append(ci.get(1).asDouble());
        } else {
            b.append(',');
        }
        b.append('\n');
    }

    private static String quote(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
