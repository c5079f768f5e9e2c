package tracelens.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tracelens.io.AtomicFile;
import tracelens.provenance.Provenance;
import tracelens.results.Results;
import tracelens.sip.SipSweep;

/**
 * What {@code sip sweep} writes: {@code sweep.json} (every model's cells, perplexities and maps, with provenance),
 * {@code sweep.csv} (tidy: one number a row), {@code maps.csv} (one map point a row) and {@code sweep.html} (the seed
 * post's figures: accuracy and silhouette by layer x number of sources per model, perplexity by number of sources,
 * accuracy over model size, and the map grids seeds x layers).
 */
public final class SipSweepReport {
    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String CSV_HEADER = "model,parameters,sources,layer,metric,value";
    public static final String MAPS_HEADER = "model,method,classes,seed,layer,source,x,y";

    private SipSweepReport() {}

    /** The results document; map points are kept under {@code maps} per model. */
    public static ObjectNode results(List<SipSweep.ModelResult> models, int[] sources, Provenance provenance) {
        ObjectNode root = Results.result("sip sweep", provenance);
        ArrayNode ks = root.putArray("source_counts");
        java.util.Arrays.stream(sources).sorted().distinct().forEach(ks::add);
        ArrayNode out = root.putArray("models");
        for (SipSweep.ModelResult m : models) {
            ObjectNode o = out.addObject();
            o.put("model", m.model()).put("architecture", m.architecture()).put("parameters", m.parameters()).put("num_layers", m.numLayers())
                    .put("model_sha256", Provenance.modelDigest(m.model()));
            m.sources().forEach(o.putArray("sources")::add);
            if (m.perplexity() != null) {
                ObjectNode p = o.putObject("perplexity");
                m.perplexity().forEach((k, v) -> Results.number(p, String.valueOf(k), v));
            } else {
                o.putNull("perplexity");
            }
            ArrayNode cells = o.putArray("cells");
            for (SipSweep.Cell c : m.cells()) {
                ObjectNode n = cells.addObject().put("sources", c.sources()).put("layer", c.layer());
                Results.number(n, "linear_accuracy", c.linearAccuracy());
                Results.number(n, "mlp_accuracy", c.mlpAccuracy());
                Results.number(n, "silhouette", c.silhouette());
                n.put("chance_accuracy", 1.0 / c.sources()).put("train_samples", c.trainSamples()).put("test_samples", c.testSamples());
            }
            ArrayNode points = o.putObject("maps").putArray("points");
            for (SipSweep.Map2d map : m.maps()) {
                for (int i = 0; i < map.xy().length; i++) {
                    points.addObject().put("method", map.method()).put("classes", map.classes()).put("seed", map.seed())
                            .put("layer", map.layer()).put("source", m.sources().get(map.labels()[i]))
                            .put("x", round(map.xy()[i][0])).put("y", round(map.xy()[i][1]));
                }
            }
        }
        return root;
    }

    /** sweep.csv: one number a row; perplexity rows have an empty layer. */
    public static String csv(JsonNode results) {
        StringBuilder b = new StringBuilder(CSV_HEADER).append('\n');
        for (JsonNode m : results.get("models")) {
            String model = quote(m.get("model").asText());
            long params = m.get("parameters").asLong();
            for (JsonNode c : m.get("cells")) {
                for (String metric : new String[] {"linear_accuracy", "mlp_accuracy", "silhouette", "chance_accuracy"}) {
                    if (c.get(metric).isNumber()) {
                        b.append(model).append(',').append(params).append(',').append(c.get("sources").asInt()).append(',')
                                .append(c.get("layer").asInt()).append(',').append(metric).append(',').append(c.get(metric).asDouble()).append('\n');
                    }
                }
            }
            m.path("perplexity").fields().forEachRemaining(e -> {
                if (e.getValue().isNumber()) {
                    b.append(model).append(',').append(params).append(',').append(e.getKey()).append(",,perplexity,")
                            .append(e.getValue().asDouble()).append('\n');
                }
            });
        }
        return b.toString();
    }

    /** maps.csv: one map point a row. */
    public static String mapsCsv(JsonNode results) {
        StringBuilder b = new StringBuilder(MAPS_HEADER).append('\n');
        for (JsonNode m : results.get("models")) {
            String model = quote(m.get("model").asText());
            for (JsonNode p : m.path("maps").path("points")) {
                b.append(model).append(',').append(p.get("method").asText()).append(',').append(p.get("classes").asInt()).append(',')
                        .append(p.get("seed").asInt()).append(',').append(p.get("layer").asInt()).append(',')
                        .append(quote(p.get("source").asText())).append(',').append(p.get("x").asDouble()).append(',')
                        .append(p.get("y").asDouble()).append('\n');
            }
        }
        return b.toString();
    }

    /** Writes sweep.json, sweep.csv, maps.csv and sweep.html into {@code dir}. */
    public static void write(ObjectNode results, Path dir) {
        AtomicFile.writeString(dir.resolve("sweep.json"), Results.write(results));
        AtomicFile.writeString(dir.resolve("sweep.csv"), csv(results));
        AtomicFile.writeString(dir.resolve("maps.csv"), mapsCsv(results));
        page(results).write(dir.resolve("sweep.html"));
    }

    public static HtmlPage page(JsonNode r) {
        List<String> names = new ArrayList<>();
        r.get("models").forEach(m -> names.add(name(m)));
        HtmlPage page = new HtmlPage("Source identification sweep: " + String.join(", ", names));
        for (JsonNode m : r.get("models")) {
            page.paragraph(String.format(Locale.ROOT, "%s (%s, %,d parameters, %d layers): the first %s of %d sources.", name(m),
                    m.get("architecture").asText(), m.get("parameters").asLong(), m.get("num_layers").asInt(),
                    r.get("source_counts").toString().replace("[", "").replace("]", "").replace(",", ", "), m.get("sources").size()));
        }
        page.paragraph(SipReport.provenanceLine(r));
        ArrayNode acc = JSON.createArrayNode();
        ArrayNode sil = JSON.createArrayNode();
        ArrayNode bySize = JSON.createArrayNode();
        ArrayNode ppl = JSON.createArrayNode();
        for (JsonNode m : r.get("models")) {
            int last = m.get("num_layers").asInt();
            for (JsonNode c : m.get("cells")) {
                for (String[] probe : new String[][] {{"linear", "linear_accuracy"}, {"MLP", "mlp_accuracy"}}) {
                    if (c.get(probe[1]).isNumber()) {
                        acc.addObject().put("model", name(m)).put("sources", c.get("sources").asInt()).put("layer", c.get("layer").asInt())
                                .put("probe", probe[0]).put("value", c.get(probe[1]).asDouble());
                        if (c.get("layer").asInt() == last) {
                            bySize.addObject().put("model", name(m)).put("parameters", m.get("parameters").asLong())
                                    .put("sources", c.get("sources").asInt()).put("probe", probe[0]).put("value", c.get(probe[1]).asDouble());
                        }
                    }
                }
                if (c.get("silhouette").isNumber()) {
                    sil.addObject().put("model", name(m)).put("sources", c.get("sources").asInt()).put("layer", c.get("layer").asInt())
                            .put("value", c.get("silhouette").asDouble());
                }
            }
            m.path("perplexity").fields().forEachRemaining(e -> {
                if (e.getValue().isNumber()) {
                    ppl.addObject().put("model", name(m)).put("sources", Integer.parseInt(e.getKey())).put("value", e.getValue().asDouble());
                }
            });
        }
        page.heading("Held-out accuracy by layer and number of sources");
        page.paragraph("One panel per model; colour = number of sources K (chance 1/K), solid = linear identifier, dashed = MLP.");
        page.chart(byLayer(acc, "held-out accuracy", true));
        page.heading("Silhouette of the sources by layer and number of sources");
        page.chart(byLayer(sil, "silhouette (Euclidean)", false));
        if (!ppl.isEmpty()) {
            page.heading("Perplexity of each model on the samples of the first K sources");
            page.chart(perplexity(ppl));
        }
        if (r.get("models").size() > 1) {
            page.heading("Accuracy at the last layer over model size");
            page.chart(overSize(bySize));
        }
        for (JsonNode m : r.get("models")) {
            JsonNode points = m.path("maps").path("points");
            java.util.Set<String> panels = new java.util.LinkedHashSet<>();
            points.forEach(p -> panels.add(p.get("method").asText() + "|" + p.get("classes").asInt()));
            for (String panel : panels) {
                String method = panel.split("\\|")[0];
                int classes = Integer.parseInt(panel.split("\\|")[1]);
                ArrayNode values = JSON.createArrayNode();
                points.forEach(p -> {
                    if (p.get("method").asText().equals(method) && p.get("classes").asInt() == classes) {
                        values.add(p);
                    }
                });
                page.heading(String.format(Locale.ROOT, "%s: 2-D maps of %d sources by %s, rows are seeds, columns are layers", name(m),
                        classes, method.equals("pca") ? "PCA" : "a 2-unit bottleneck identifier"));
                page.paragraph(method.equals("pca") ? "Each seed draws its sources and passages; points are projected on the layer's"
                        + " first two principal components." : "Each seed draws its sources and passages and initialises an MLP identifier"
                        + " whose last hidden layer has 2 units; fitted on the drawn passages, that layer is read out (before its"
                        + " activation) and plotted.");
                page.chart(mapGrid(values));
            }
        }
        return page;
    }

    private static ObjectNode base() {
        ObjectNode spec = JSON.createObjectNode();
        spec.put("$schema", "https://vega.github.io/schema/vega-lite/v6.json");
        return spec;
    }

    private static ObjectNode byLayer(ArrayNode values, String title, boolean probes) {
        ObjectNode spec = base();
        spec.putObject("data").set("values", values);
        spec.putObject("facet").putObject("column").put("field", "model").put("type", "nominal").putNull("title");
        spec.putObject("resolve").putObject("scale").put("x", "independent");
        ObjectNode inner = spec.putObject("spec");
        inner.put("width", 320).put("height", 240);
        inner.set("mark", JSON.createObjectNode().put("type", "line").put("point", true));
        ObjectNode e = inner.putObject("encoding");
        e.putObject("x").put("field", "layer").put("type", "ordinal").put("title", "layer (0 = embeddings)");
        e.putObject("y").put("field", "value").put("type", "quantitative").put("title", title);
        e.putObject("color").put("field", "sources").put("type", "ordinal").put("title", "sources K");
        if (probes) {
            e.putObject("strokeDash").put("field", "probe").put("type", "nominal").put("title", "identifier");
            e.putObject("detail").put("field", "probe").put("type", "nominal");
        }
        ArrayNode tip = e.putArray("tooltip");
        tip.addObject().put("field", "model").put("type", "nominal");
        tip.addObject().put("field", "sources").put("type", "ordinal");
        tip.addObject().put("field", "layer").put("type", "ordinal");
        tip.addObject().put("field", "value").put("type", "quantitative").put("format", ".3f");
        return spec;
    }

    private static ObjectNode perplexity(ArrayNode values) {
        ObjectNode spec = logXLines(values, "sources", "number of sources K", 240);
        ObjectNode e = (ObjectNode) spec.get("encoding");
        e.putObject("y").put("field", "value").put("type", "quantitative").put("title", "perplexity").putObject("scale").put("zero", false);
        e.putObject("color").put("field", "model").put("type", "nominal");
        return spec;
    }

    private static ObjectNode overSize(ArrayNode values) {
        ObjectNode spec = logXLines(values, "parameters", "model parameters", 260);
        ObjectNode e = (ObjectNode) spec.get("encoding");
        e.putObject("y").put("field", "value").put("type", "quantitative").put("title", "held-out accuracy, last layer");
        e.putObject("color").put("field", "sources").put("type", "ordinal").put("title", "sources K");
        e.putObject("strokeDash").put("field", "probe").put("type", "nominal").put("title", "identifier");
        e.putObject("detail").put("field", "probe").put("type", "nominal");
        ArrayNode tip = e.putArray("tooltip");
        tip.addObject().put("field", "model").put("type", "nominal");
        tip.addObject().put("field", "parameters").put("type", "quantitative");
        tip.addObject().put("field", "value").put("type", "quantitative").put("format", ".3f");
        return spec;
    }

    /** A line chart over {@code values} with a log-scaled x; the caller completes its encoding (y, colour, ...). */
    private static ObjectNode logXLines(ArrayNode values, String x, String title, int height) {
        ObjectNode spec = base();
        spec.put("width", 420).put("height", height);
        spec.putObject("data").set("values", values);
        spec.set("mark", JSON.createObjectNode().put("type", "line").put("point", true));
        ObjectNode e = spec.putObject("encoding");
        e.putObject("x").put("field", x).put("type", "quantitative").put("title", title).putObject("scale").put("type", "log");
        return spec;
    }

    private static ObjectNode mapGrid(ArrayNode values) {
        ObjectNode spec = base();
        spec.putObject("data").set("values", values);
        ObjectNode facet = spec.putObject("facet");
        facet.putObject("row").put("field", "seed").put("type", "ordinal");
        facet.putObject("column").put("field", "layer").put("type", "ordinal");
        spec.putObject("resolve").putObject("scale").put("x", "independent").put("y", "independent").put("color", "independent");
        ObjectNode inner = spec.putObject("spec");
        inner.put("width", 100).put("height", 100);
        inner.set("mark", JSON.createObjectNode().put("type", "circle").put("size", 14).put("opacity", 0.7));
        ObjectNode enc = inner.putObject("encoding");
        enc.putObject("x").put("field", "x").put("type", "quantitative").put("title", "first dimension").putObject("axis")
                .put("labels", false).put("ticks", false);
        enc.putObject("y").put("field", "y").put("type", "quantitative").put("title", "second dimension").putObject("axis")
                .put("labels", false).put("ticks", false);
        enc.putObject("color").put("field", "source").put("type", "nominal").putNull("legend");
        enc.putObject("tooltip").put("field", "source").put("type", "nominal");
        return spec;
    }

    private static String name(JsonNode m) {
        String model = m.get("model").asText();
        return model.contains("/") ? model.substring(model.lastIndexOf('/') + 1) : model;
    }

    private static String quote(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    private static double round(float v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
