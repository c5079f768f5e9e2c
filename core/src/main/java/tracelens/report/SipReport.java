package tracelens.report;

import static tracelens.results.Results.interval;
import static tracelens.results.Results.number;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import tracelens.io.AtomicFile;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tracelens.sip.Metrics;
import tracelens.sip.SipRun;

/** results.json and report.html of a SIP run. */
public final class SipReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SipReport() {}

    /**
     * Every number of the run, NaN (e.g. no MLP trained) written as null, with the run's provenance (model and digest,
     * samples, settings, seed, version, date) when given.
     */
    public static ObjectNode results(SipRun.Result r, tracelens.provenance.Provenance provenance) {
        ObjectNode n = JSON.createObjectNode();
        n.put("model", r.model());
        n.put("architecture", r.architecture());
        ArrayNode sources = n.putArray("sources");
        r.sources().forEach(sources::add);
        n.put("chance_accuracy", r.chance());
        n.put("top5_chance_accuracy", Math.min(1.0, 5.0 / r.sources().size()));
        n.put("epoch_budget", r.epochBudget());
        n.put("protocol", r.protocol().name().toLowerCase(Locale.ROOT));
        n.put("train_samples", r.trainSamples());
        n.put("test_samples", r.testSamples());
        if (r.perplexity() != null) {
            number(n, "perplexity", r.perplexity());
        }
        ArrayNode layers = n.putArray("layers");
        for (SipRun.LayerResult l : r.layers()) {
            ObjectNode o = layers.addObject();
            o.put("layer", l.layer());
            accuracy(o, "linear_accuracy", l.linearAccuracy(), r);
            accuracy(o, "mlp_accuracy", l.mlpAccuracy(), r);
            accuracy(o, "nearest_centroid_accuracy", l.nearestCentroidAccuracy(), r);
            if (r.sources().size() > 5) { // with 5 sources or fewer the right one is always among the top 5
                accuracy(o, "top5_accuracy", l.top5Accuracy(), r);
            } else {
                o.putNull("top5_accuracy");
            }
            number(o, "macro_f1", l.macroF1());
            interval(o, "macro_f1", l.macroF1Ci95());
            number(o, "silhouette", l.silhouette());
            number(o, "silhouette_cosine", l.silhouetteCosine());
            number(o, "isoscore", l.geometry().isoScore());
            number(o, "isoscore_star", l.geometry().isoScoreStar());
            number(o, "twonn", l.geometry().twoNn());
            number(o, "ilm_effect", l.ilmEffect());
            o.put("linear_epochs", l.linearEpochs());
            o.put("mlp_epochs", l.mlpEpochs());
            // under the original protocol every probe runs the whole budget by design: nothing to flag
            boolean early = r.protocol() == tracelens.sip.IdentifierTrainer.Protocol.TRACELENS;
            o.put("linear_at_epoch_limit", early && l.linearEpochs() >= r.epochBudget());
            o.put("mlp_at_epoch_limit", early && Double.isFinite(l.mlpAccuracy()) && l.mlpEpochs() >= r.epochBudget());
            ArrayNode conf = o.putArray("most_confused");
            for (Metrics.Confusion c : l.confused()) {
                conf.addObject().put("actual", r.sources().get(c.actual())).put("predicted", r.sources().get(c.predicted())).put("count", c.count());
            }
        }
        ObjectNode maps = n.putObject("maps");
        maps.put("method", r.mapMethod().name().toLowerCase(Locale.ROOT));
        ArrayNode points = maps.putArray("points");
        for (SipRun.Map2d m : r.maps()) {
            for (int i = 0; i < m.labels().length; i++) {
                points.addObject().put("layer", m.layer()).put("seed", m.seed()).put("source", r.sources().get(m.labels()[i]))
                        .put("x", round(m.xy()[i][0])).put("y", round(m.xy()[i][1]));
            }
        }
        ArrayNode skipped = n.putArray("skipped_sources");
        r.skipped().forEach(skipped::add);
        n.put("duplicate_texts_across_sources", r.duplicateTexts());
        if (provenance != null) {
            n.set("provenance", JSON.valueToTree(provenance));
        }
        return n;
    }

    /**
     * An accuracy on the held-out samples, its 95% Wilson interval ({@code KEY_ci95}) and whether chance lies inside
     * that interval ({@code KEY_within_chance}: the probe did not show it learned anything).
     */
    private static void accuracy(ObjectNode o, String key, double v, SipRun.Result r) {
        number(o, key, v);
        double[] ci = Metrics.wilson(v, r.testSamples());
        interval(o, key, ci);
        if (Double.isFinite(ci[0])) {
            double chance = key.startsWith("top5") ? Math.min(1.0, 5.0 / r.sources().size()) : r.chance();
            o.put(key + "_within_chance", chance >= ci[0] && chance <= ci[1]);
        }
    }

    /** Writes {@link #results}' output as results.json. */
    public static void writeResults(JsonNode results, Path file) {
        AtomicFile.write(file, w -> JSON.writerWithDefaultPrettyPrinter().writeValue(w, results));
    }

    /** One line saying where a run's numbers come from, from its results' provenance (empty for older results). */
    static String provenanceLine(JsonNode r) {
        JsonNode p = r.path("provenance");
        if (p.isMissingNode() || p.isNull()) {
            return "";
        }
        JsonNode s = p.path("settings");
        String sha = p.path("model").path("sha256").asText("");
        return String.format(Locale.ROOT, " Model %s%s; corpus %s, %s split (test fraction %s), %s words a passage, up to %s"
                        + " per source; identifiers trained up to %s epochs (%s loss); seed %s; tracelens %s, %s; kernels %s.",
                p.path("model").path("id").asText("?"), sha.isEmpty() ? "" : " (sha256 " + sha.substring(0, Math.min(12, sha.length())) + ")",
                s.path("corpus").asText("?"), s.path("split").asText("?"), s.path("test_fraction").asText("?"), s.path("words").asText("?"),
                s.path("samples_per_source").asText("?"), s.path("epochs").asText("?"), s.path("loss").asText("?"), p.path("seed").asText("?"),
                p.path("tracelens").asText("?"), p.path("created").asText("?"), p.path("numerics").asText("?"));
    }

    /** What says that two runs saw the same samples: the corpus settings in their provenance, and the sources and counts. */
    private static final List<String> CORPUS_SETTINGS = List.of("corpus", "split", "test_fraction", "words", "samples_per_source", "seed");

    /**
     * How runs' corpora or splits differ from the first run's ("corpus: a.jsonl vs b.jsonl (run 2)"), empty when they
     * agree. Settings a run does not record (older results) are not compared.
     */
    public static List<String> corpusDifferences(List<JsonNode> runs) {
        List<String> out = new java.util.ArrayList<>();
        if (runs.isEmpty()) {
            return out;
        }
        JsonNode first = runs.get(0);
        for (int i = 1; i < runs.size(); i++) {
            JsonNode r = runs.get(i);
            String which = " (" + name(first) + " vs " + name(r) + ")";
            for (String key : CORPUS_SETTINGS) {
                JsonNode a = first.path("provenance").path("settings").path(key);
                JsonNode b = r.path("provenance").path("settings").path(key);
                if (!a.isMissingNode() && !b.isMissingNode() && !a.asText().equals(b.asText())) {
                    out.add(key + ": " + a.asText() + " vs " + b.asText() + which);
                }
            }
            if (!first.path("sources").equals(r.path("sources"))) {
                out.add("sources: " + first.path("sources").size() + " vs " + r.path("sources").size() + " (or other names)" + which);
            }
            for (String key : List.of("train_samples", "test_samples")) {
                if (first.path(key).asInt(-1) != r.path(key).asInt(-1)) {
                    out.add(key + ": " + first.path(key).asInt() + " vs " + r.path(key).asInt() + which);
                }
            }
        }
        return out;
    }

    /**
     * A report of one or several runs (their results.json): with several, the curves are coloured by run and the
     * map grid has one row per run (seed 0), so models or corpora can be compared side by side.
     */
    public static HtmlPage page(List<JsonNode> runs) {
        boolean one = runs.size() == 1;
        HtmlPage page = new HtmlPage("Source identification: " + String.join(" vs ", runs.stream().map(SipReport::name).toList()));
        for (JsonNode r : runs) {
            page.paragraph(String.format(Locale.ROOT, "%s: %d sources, %d training and %d held-out samples; chance accuracy %.3f.%s",
                    name(r), r.get("sources").size(), r.get("train_samples").asInt(), r.get("test_samples").asInt(),
                    r.get("chance_accuracy").asDouble(), r.hasNonNull("perplexity")
                            ? String.format(Locale.ROOT, " Perplexity of the model on the samples: %.2f.", r.get("perplexity").asDouble()) : "")
                    + provenanceLine(r));
        }
        page.heading("Held-out accuracy by layer");
        page.paragraph("Bands: 95% intervals over the held-out samples (Wilson for accuracies, a 1,000-resample bootstrap for"
                + " macro-F1). Dashed: chance (and top-5 chance).");
        ArrayNode values = JSON.createArrayNode();
        ArrayNode chances = JSON.createArrayNode();
        for (JsonNode r : runs) {
            String prefix = one ? "" : name(r) + ": ";
            for (JsonNode l : r.get("layers")) {
                int layer = l.get("layer").asInt();
                scored(values, layer, prefix + "linear probe", l, "linear_accuracy");
                scored(values, layer, prefix + "MLP probe", l, "mlp_accuracy");
                scored(values, layer, prefix + "nearest centroid", l, "nearest_centroid_accuracy");
                if (one) {
                    scored(values, layer, "linear top-5", l, "top5_accuracy");
                    scored(values, layer, "linear macro-F1", l, "macro_f1");
                }
            }
            chances.addObject().put("value", r.get("chance_accuracy").asDouble()).put("reference", prefix + "chance");
            boolean top5 = one && r.get("layers").size() > 0 && r.get("layers").get(0).path("top5_accuracy").isNumber();
            if (top5 && r.has("top5_chance_accuracy")) {
                chances.addObject().put("value", r.get("top5_chance_accuracy").asDouble()).put("reference", "top-5 chance");
            }
        }
        page.chart(one ? accuracyChart(values, chances) : comparisonChart(runs));
        page.heading("How the sources cluster (silhouette of pooled representations)");
        ArrayNode sil = JSON.createArrayNode();
        for (JsonNode r : runs) {
            String prefix = one ? "" : name(r) + ": ";
            for (JsonNode l : r.get("layers")) {
                point(sil, l.get("layer").asInt(), prefix + "Euclidean", l.get("silhouette"));
                point(sil, l.get("layer").asInt(), prefix + "cosine", l.get("silhouette_cosine"));
            }
        }
        page.chart(lines(sil, "silhouette", "silhouette"));
        page.heading("Geometry of each layer (does source information move with isotropy?)");
        page.paragraph("IsoScore and IsoScore* (zeta 0.75, C0 = covariance of all layers above the embeddings) in [0, 1], "
                + "beside the linear probe's accuracy and the ILM effect (the drop in a logistic probe's accuracy when the "
                + "principal components most correlated with the source are suppressed; 400 sampled passages, sources as labels); "
                + "TwoNN intrinsic dimension (current scikit-dimension variant) on its own axis.");
        ArrayNode iso = JSON.createArrayNode();
        ArrayNode id = JSON.createArrayNode();
        for (JsonNode r : runs) {
            String prefix = one ? "" : name(r) + ": ";
            for (JsonNode l : r.get("layers")) {
                point(iso, l.get("layer").asInt(), prefix + "IsoScore", l.get("isoscore"));
                point(iso, l.get("layer").asInt(), prefix + "IsoScore*", l.get("isoscore_star"));
                point(iso, l.get("layer").asInt(), prefix + "linear probe accuracy", l.get("linear_accuracy"));
                point(iso, l.get("layer").asInt(), prefix + "ILM effect", l.path("ilm_effect"));
                point(id, l.get("layer").asInt(), prefix + "TwoNN", l.get("twonn"));
            }
        }
        page.chart(lines(iso, "measure", "score"));
        page.chart(lines(id, "estimator", "intrinsic dimension"));
        ArrayNode points = JSON.createArrayNode();
        for (JsonNode r : runs) {
            for (JsonNode p : r.path("maps").path("points")) {
                if (one || p.get("seed").asInt() == 0) {
                    ((ObjectNode) points.addObject().setAll((ObjectNode) p)).put("run", name(r));
                }
            }
        }
        if (!points.isEmpty()) {
            boolean tsne = "tsne".equals(runs.get(0).path("maps").path("method").asText());
            page.heading("2-D maps (" + (tsne ? "t-SNE" : "PCA") + "): rows are " + (one ? "seeds" : "runs (seed 0)") + ", columns are layers");
            page.paragraph("Each map draws a few sources at random and " + (tsne
                    ? "embeds their samples with t-SNE (perplexity 30)." : "projects their samples on the layer's first two "
                    + "principal components (horizontal: first dimension, vertical: second)."));
            page.chart(mapGrid(points, one ? "seed" : "run"));
        }
        for (JsonNode r : runs) {
            page.heading(one ? "Per layer" : "Per layer: " + name(r));
            List<String[]> rows = new ArrayList<>();
            for (JsonNode l : r.get("layers")) {
                JsonNode c = l.path("most_confused").path(0);
                String confused = c.isMissingNode() ? "" : c.get("actual").asText() + " → " + c.get("predicted").asText()
                        + " (" + c.get("count").asInt() + ")";
                rows.add(new String[] {l.get("layer").asText(), fmt(l.get("linear_accuracy")), fmt(l.get("mlp_accuracy")),
                    fmt(l.get("nearest_centroid_accuracy")), fmt(l.get("top5_accuracy")), fmt(l.get("macro_f1")),
                    fmt(l.get("silhouette")), fmt(l.get("silhouette_cosine")), fmt(l.get("isoscore")), fmt(l.get("isoscore_star")),
                    fmt(l.get("twonn")), fmt(l.path("ilm_effect")), confused});
            }
            page.table(new String[] {"layer", "linear acc.", "MLP acc.", "nearest centroid", "top-5", "macro-F1", "silhouette",
                "silhouette (cos)", "IsoScore", "IsoScore*", "TwoNN", "ILM effect", "most confused"}, rows);
            List<String> sources = new ArrayList<>();
            r.get("sources").forEach(x -> sources.add(x.asText()));
            page.paragraph("Sources: " + String.join(", ", sources));
            List<String> skipped = new ArrayList<>();
            r.path("skipped_sources").forEach(x -> skipped.add(x.asText()));
            if (!skipped.isEmpty()) {
                page.paragraph("Skipped: " + String.join("; ", skipped));
            }
            int duplicates = r.path("duplicate_texts_across_sources").asInt();
            if (duplicates > 0) {
                page.paragraph(duplicates + " samples repeat a text that also appears under another source.");
            }
        }
        return page;
    }

    private static String name(JsonNode r) {
        String model = r.get("model").asText();
        return model.contains("/") ? model.substring(model.lastIndexOf('/') + 1) : model;
    }

    private static String fmt(JsonNode v) {
        return v != null && v.isNumber() ? String.format(Locale.ROOT, "%.3f", v.asDouble()) : "–";
    }

    /**
     * Several runs on one chart: colour = run, line style = probe, one dashed rule per distinct chance level, and a
     * switch between layer index and relative depth (layer / the run's last layer), so models of different depth line up.
     */
    private static ObjectNode comparisonChart(List<JsonNode> runs) {
        ArrayNode values = JSON.createArrayNode();
        ArrayNode chances = JSON.createArrayNode();
        java.util.Set<Double> seen = new java.util.TreeSet<>();
        for (JsonNode r : runs) {
            int last = 0;
            for (JsonNode l : r.get("layers")) {
                last = Math.max(last, l.get("layer").asInt());
            }
            for (JsonNode l : r.get("layers")) {
                for (String[] probe : new String[][] {{"linear probe", "linear_accuracy"}, {"MLP probe", "mlp_accuracy"},
                    {"nearest centroid", "nearest_centroid_accuracy"}}) {
                    JsonNode v = l.get(probe[1]);
                    if (v != null && v.isNumber()) {
                        int layer = l.get("layer").asInt();
                        ObjectNode o = values.addObject().put("run", name(r)).put("probe", probe[0]).put("layer", layer)
                                .put("depth", last == 0 ? 0 : (double) layer / last).put("value", v.asDouble());
                        JsonNode ci = l.get(probe[1] + "_ci95");
                        if (ci != null && ci.isArray() && ci.size() == 2) {
                            o.put("lo", ci.get(0).asDouble()).put("hi", ci.get(1).asDouble());
                        }
                    }
                }
            }
            double chance = r.get("chance_accuracy").asDouble();
            if (seen.add(chance)) {
                chances.addObject().put("value", chance).put("reference", String.format(Locale.ROOT, "chance %.3f", chance));
            }
        }
        ObjectNode spec = JSON.createObjectNode();
        spec.put("$schema", "https://vega.github.io/schema/vega-lite/v6.json");
        spec.put("width", 560).put("height", 300);
        ObjectNode param = spec.putArray("params").addObject().put("name", "xaxis").put("value", "layer");
        param.putObject("bind").put("input", "radio").put("name", "x axis: ").putArray("options").add("layer").add("relative depth");
        ArrayNode layers = spec.putArray("layer");
        ObjectNode line = layers.addObject();
        line.putObject("data").set("values", values);
        line.putArray("transform").addObject().put("calculate", "xaxis == 'layer' ? datum.layer : datum.depth").put("as", "x");
        line.set("mark", JSON.createObjectNode().put("type", "line").put("point", true));
        ObjectNode e = line.putObject("encoding");
        e.putObject("x").put("field", "x").put("type", "quantitative").put("title", "layer (0 = embeddings), or relative depth");
        e.putObject("y").put("field", "value").put("type", "quantitative").put("title", "held-out accuracy");
        e.putObject("color").put("field", "run").put("type", "nominal").put("title", "run");
        e.putObject("strokeDash").put("field", "probe").put("type", "nominal").put("title", "probe");
        ArrayNode tip = e.putArray("tooltip");
        for (String f : new String[] {"run", "probe", "layer", "value", "lo", "hi"}) {
            tip.addObject().put("field", f).put("type", f.equals("run") || f.equals("probe") ? "nominal" : "quantitative");
        }
        chanceRules(layers, chances);
        return spec;
    }

    /** Chance levels ({@code value}, {@code reference}) as dashed grey reference rules. */
    private static void chanceRules(ArrayNode layers, ArrayNode chances) {
        ObjectNode rule = layers.addObject();
        rule.putObject("data").set("values", chances);
        rule.set("mark", JSON.createObjectNode().put("type", "rule").put("color", "#666").set("strokeDash",
                JSON.createArrayNode().add(6).add(4)));
        ObjectNode re = rule.putObject("encoding");
        re.putObject("y").put("field", "value").put("type", "quantitative");
        re.putObject("tooltip").put("field", "reference").put("type", "nominal");
    }

    private static void point(ArrayNode values, int layer, String series, JsonNode v) {
        if (v != null && v.isNumber()) {
            values.addObject().put("layer", layer).put("series", series).put("value", v.asDouble());
        }
    }

    /** A point with its 95% interval (lo, hi) when the results carry one ({@code KEY_ci95}). */
    private static void scored(ArrayNode values, int layer, String series, JsonNode l, String key) {
        JsonNode v = l.get(key);
        if (v == null || !v.isNumber()) {
            return;
        }
        ObjectNode o = values.addObject().put("layer", layer).put("series", series).put("value", v.asDouble());
        JsonNode ci = l.get(key + "_ci95");
        if (ci != null && ci.isArray() && ci.size() == 2) {
            o.put("lo", ci.get(0).asDouble()).put("hi", ci.get(1).asDouble());
        }
    }

    /** Lines with interval bands, and chance drawn as dashed reference rules instead of a series. */
    private static ObjectNode accuracyChart(ArrayNode values, ArrayNode chances) {
        ObjectNode spec = JSON.createObjectNode();
        spec.put("$schema", "https://vega.github.io/schema/vega-lite/v6.json");
        spec.put("width", 560).put("height", 280);
        ArrayNode layers = spec.putArray("layer");
        ObjectNode band = layers.addObject();
        band.putObject("data").set("values", values);
        band.putArray("transform").addObject().put("filter", "isValid(datum.lo)");
        band.set("mark", JSON.createObjectNode().put("type", "area").put("opacity", 0.15));
        ObjectNode be = band.putObject("encoding");
        be.putObject("x").put("field", "layer").put("type", "ordinal").put("title", "layer (0 = embeddings)");
        be.putObject("y").put("field", "lo").put("type", "quantitative").put("title", "held-out score");
        be.putObject("y2").put("field", "hi");
        be.putObject("color").put("field", "series").put("type", "nominal").put("title", "score");
        ObjectNode line = layers.addObject();
        line.putObject("data").set("values", values);
        line.set("mark", JSON.createObjectNode().put("type", "line").put("point", true));
        ObjectNode le = line.putObject("encoding");
        le.putObject("x").put("field", "layer").put("type", "ordinal");
        le.putObject("y").put("field", "value").put("type", "quantitative");
        le.putObject("color").put("field", "series").put("type", "nominal");
        chanceRules(layers, chances);
        return spec;
    }

    private static ObjectNode lines(ArrayNode values, String name, String title) {
        ObjectNode spec = JSON.createObjectNode();
        spec.put("$schema", "https://vega.github.io/schema/vega-lite/v6.json");
        spec.put("width", 560).put("height", 280);
        spec.putObject("data").set("values", values);
        spec.set("mark", JSON.createObjectNode().put("type", "line").put("point", true));
        ObjectNode enc = spec.putObject("encoding");
        enc.putObject("x").put("field", "layer").put("type", "ordinal").put("title", "layer (0 = embeddings)");
        enc.putObject("y").put("field", "value").put("type", "quantitative").put("title", title);
        enc.putObject("color").put("field", "series").put("type", "nominal").put("title", name);
        return spec;
    }

    private static ObjectNode mapGrid(ArrayNode values, String rowField) {
        ObjectNode spec = JSON.createObjectNode();
        spec.put("$schema", "https://vega.github.io/schema/vega-lite/v6.json");
        spec.putObject("data").set("values", values);
        ObjectNode facet = spec.putObject("facet");
        facet.putObject("row").put("field", rowField).put("type", "ordinal");
        facet.putObject("column").put("field", "layer").put("type", "ordinal");
        spec.putObject("resolve").putObject("scale").put("x", "independent").put("y", "independent");
        ObjectNode inner = spec.putObject("spec");
        inner.put("width", 100).put("height", 100);
        inner.set("mark", JSON.createObjectNode().put("type", "circle").put("size", 14).put("opacity", 0.7));
        ObjectNode enc = inner.putObject("encoding");
        enc.putObject("x").put("field", "x").put("type", "quantitative").putNull("title").putObject("axis").put("labels", false).put("ticks", false);
        enc.putObject("y").put("field", "y").put("type", "quantitative").putNull("title").putObject("axis").put("labels", false).put("ticks", false);
        enc.putObject("color").put("field", "source").put("type", "nominal");
        return spec;
    }

    private static double round(float v) {
        return Math.round(v * 1e4) / 1e4;
    }
}
