package tracelens.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import tracelens.sip.Metrics;
import tracelens.sip.SipRun;

/** results.json and report.html of a SIP run. */
public final class SipReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SipReport() {}

    /** Every number of the run. NaN (e.g. no MLP trained) is written as null. */
    public static ObjectNode results(SipRun.Result r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("model", r.model());
        n.put("architecture", r.architecture());
        ArrayNode sources = n.putArray("sources");
        r.sources().forEach(sources::add);
        n.put("chance_accuracy", r.chance());
        n.put("train_samples", r.trainSamples());
        n.put("test_samples", r.testSamples());
        if (r.perplexity() != null) {
            number(n, "perplexity", r.perplexity());
        }
        ArrayNode layers = n.putArray("layers");
        for (SipRun.LayerResult l : r.layers()) {
            ObjectNode o = layers.addObject();
            o.put("layer", l.layer());
            number(o, "linear_accuracy", l.linearAccuracy());
            number(o, "mlp_accuracy", l.mlpAccuracy());
            number(o, "nearest_centroid_accuracy", l.nearestCentroidAccuracy());
            number(o, "top5_accuracy", l.top5Accuracy());
            number(o, "macro_f1", l.macroF1());
            number(o, "silhouette", l.silhouette());
            number(o, "silhouette_cosine", l.silhouetteCosine());
            o.put("linear_epochs", l.linearEpochs());
            o.put("mlp_epochs", l.mlpEpochs());
            ArrayNode conf = o.putArray("most_confused");
            for (Metrics.Confusion c : l.confused()) {
                conf.addObject().put("actual", r.sources().get(c.actual())).put("predicted", r.sources().get(c.predicted())).put("count", c.count());
            }
        }
        ArrayNode skipped = n.putArray("skipped_sources");
        r.skipped().forEach(skipped::add);
        n.put("duplicate_texts_across_sources", r.duplicateTexts());
        return n;
    }

    private static void number(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.putNull(key);
        }
    }

    public static void writeResults(SipRun.Result r, Path file) {
        try {
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), ".results", ".partial");
            JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), results(r));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public static HtmlPage page(SipRun.Result r) {
        HtmlPage page = new HtmlPage("Source identification: " + r.model());
        page.paragraph(String.format(Locale.ROOT, "%d sources, %d training and %d held-out samples; chance accuracy %.3f.%s",
                r.sources().size(), r.trainSamples(), r.testSamples(), r.chance(),
                r.perplexity() == null ? "" : String.format(Locale.ROOT, " Perplexity of the model on the samples: %.2f.", r.perplexity())));
        page.heading("Held-out accuracy by layer");
        ArrayNode values = JSON.createArrayNode();
        for (SipRun.LayerResult l : r.layers()) {
            point(values, l.layer(), "linear probe", l.linearAccuracy());
            point(values, l.layer(), "MLP probe", l.mlpAccuracy());
            point(values, l.layer(), "nearest centroid", l.nearestCentroidAccuracy());
            point(values, l.layer(), "linear top-5", l.top5Accuracy());
            point(values, l.layer(), "linear macro-F1", l.macroF1());
            point(values, l.layer(), "chance", r.chance());
        }
        page.chart(lines(values, "score", "held-out score"));
        page.heading("How the sources cluster (silhouette of pooled representations)");
        ArrayNode sil = JSON.createArrayNode();
        for (SipRun.LayerResult l : r.layers()) {
            point(sil, l.layer(), "Euclidean", l.silhouette());
            point(sil, l.layer(), "cosine", l.silhouetteCosine());
        }
        page.chart(lines(sil, "silhouette", "silhouette"));
        if (!r.maps().isEmpty()) {
            boolean tsne = r.mapMethod() == SipRun.MapMethod.TSNE;
            page.heading("2-D maps (" + (tsne ? "t-SNE" : "PCA") + "): rows are seeds, columns are layers");
            page.paragraph("Each map draws a few sources at random (per seed) and " + (tsne
                    ? "embeds their samples with t-SNE (perplexity 30)." : "projects their samples on the layer's first two "
                    + "principal components (horizontal: first dimension, vertical: second)."));
            page.chart(mapGrid(r));
        }
        page.heading("Per layer");
        List<String[]> rows = new ArrayList<>();
        for (SipRun.LayerResult l : r.layers()) {
            String confused = l.confused().isEmpty() ? "" : r.sources().get(l.confused().get(0).actual()) + " → "
                    + r.sources().get(l.confused().get(0).predicted()) + " (" + l.confused().get(0).count() + ")";
            rows.add(new String[] {String.valueOf(l.layer()), fmt(l.linearAccuracy()), fmt(l.mlpAccuracy()),
                fmt(l.nearestCentroidAccuracy()), fmt(l.top5Accuracy()),
                fmt(l.macroF1()), fmt(l.silhouette()), fmt(l.silhouetteCosine()), confused});
        }
        page.table(new String[] {"layer", "linear acc.", "MLP acc.", "nearest centroid", "top-5", "macro-F1", "silhouette", "silhouette (cos)", "most confused"}, rows);
        page.heading("Sources");
        page.paragraph(String.join(", ", r.sources()));
        if (!r.skipped().isEmpty()) {
            page.paragraph("Skipped: " + String.join("; ", r.skipped()));
        }
        if (r.duplicateTexts() > 0) {
            page.paragraph(r.duplicateTexts() + " samples repeat a text that also appears under another source.");
        }
        return page;
    }

    private static String fmt(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "–";
    }

    private static void point(ArrayNode values, int layer, String series, double v) {
        if (Double.isFinite(v)) {
            values.addObject().put("layer", layer).put("series", series).put("value", v);
        }
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

    private static ObjectNode mapGrid(SipRun.Result r) {
        ArrayNode values = JSON.createArrayNode();
        for (SipRun.Map2d m : r.maps()) {
            for (int i = 0; i < m.labels().length; i++) {
                values.addObject().put("layer", m.layer()).put("seed", m.seed()).put("source", r.sources().get(m.labels()[i]))
                        .put("x", round(m.xy()[i][0])).put("y", round(m.xy()[i][1]));
            }
        }
        ObjectNode spec = JSON.createObjectNode();
        spec.put("$schema", "https://vega.github.io/schema/vega-lite/v6.json");
        spec.putObject("data").set("values", values);
        ObjectNode facet = spec.putObject("facet");
        facet.putObject("row").put("field", "seed").put("type", "ordinal");
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
