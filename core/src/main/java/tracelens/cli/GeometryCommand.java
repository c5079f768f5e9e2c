package tracelens.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.error.InvalidInputException;
import tracelens.geometry.CloudSummary;
import tracelens.geometry.Covariance;
import tracelens.geometry.IntrinsicDimension;
import tracelens.geometry.IsoScore;
import tracelens.geometry.PartitionScore;
import tracelens.geometry.PointsCsv;
import tracelens.model.SafeTensors;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;

@Command(name = "geometry",
        header = "How a representation space is used: IsoScore, IsoScore*, cosine, intrinsic dimension, VarEx.",
        description = {"Input: a CSV of points (one per row, no header) or a safetensors file from 'activations' (every",
            "pooled layer.<i> tensor, or --tensor NAME). One result per tensor; a measure that is undefined for the data is",
            "null with the reason in 'notes'."},
        mixinStandardHelpOptions = true, sortOptions = false,
        footer = {"", "Examples:", "  tracelens geometry --input points.csv --json",
            "  tracelens geometry --input acts.safetensors --zeta 0.75 --twonn-variant legacy"})
public final class GeometryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "FILE", description = "Points: .csv or .safetensors.")
    Path input;

    @Option(names = "--tensor", paramLabel = "NAME", description = "Only this 2-D tensor of a safetensors input.")
    String tensor;

    @Option(names = "--zeta", defaultValue = "0.75", paramLabel = "Z", description = "IsoScore* shrinkage towards C0, in [0, 1]. (default: ${DEFAULT-VALUE})")
    double zeta;

    @Option(names = "--c0", paramLabel = "FILE|layers",
            description = "C0 as an n x n CSV, or 'layers': the covariance of every stored layer but the embeddings, stacked (as I-STAR builds it); default: the identity.")
    String c0Spec;

    @Option(names = "--twonn-variant", defaultValue = "fixed", paramLabel = "fixed|legacy",
            description = "TwoNN empirical F: current scikit-dimension, or the pre-2024 one I-STAR used. (default: ${DEFAULT-VALUE})")
    String twonnVariant;

    @Option(names = "--emulate-torch-constants",
            description = "IsoScore* exactly as the I-STAR reference computes it (float32-rounded sqrt(n) constants; up to 5e-8 apart).")
    boolean emulateTorch;

    @Option(names = "--max-id-points", defaultValue = "20000", paramLabel = "N",
            description = {"TwoNN, MLE and the partition score need all pairs of points: above N points they run on a seeded",
                "uniform sample of N (noted); 0 skips them. (default: ${DEFAULT-VALUE})"})
    int maxIdPoints;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of that sample. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--partition-variant", defaultValue = "canonical", paramLabel = "canonical|symmetric",
            description = "Sign convention of the (informational) partition score. (default: ${DEFAULT-VALUE})")
    String partitionVariant;

    @Option(names = "--out", paramLabel = "DIR", description = "Also write DIR/geometry.json (with provenance), DIR/results.csv"
            + " (the tidy table: model,layer,probe,metric,value,ci95_low,ci95_high) and DIR/geometry.html.")
    Path out;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.folder("--out", out);
        if (!(zeta >= 0 && zeta <= 1)) {
            throw new InvalidInputException("--zeta must be in [0, 1], found " + zeta);
        }
        IntrinsicDimension.TwoNnVariant variant = Choice.of(IntrinsicDimension.TwoNnVariant.class, "--twonn-variant", twonnVariant);
        PartitionScore.Variant partition = Choice.of(PartitionScore.Variant.class, "--partition-variant", partitionVariant);
        if (maxIdPoints < 0) {
            throw new InvalidInputException("--max-id-points must be >= 0, found " + maxIdPoints);
        }
        ArrayNode results = Json.MAPPER.createArrayNode();
        try (Clouds clouds = open(); NDManager manager = DjlRuntime.manager()) {
            double[][] c0 = c0Spec == null ? null : c0Spec.equals("layers") ? stackedCovariance(clouds, manager) : PointsCsv.read(Path.of(c0Spec));
            if (c0 != null && !c0Spec.equals("layers")) {
                try {
                    IsoScore.checkShrinkageTarget(c0);
                } catch (InvalidInputException e) {
                    throw new InvalidInputException("--c0 " + c0Spec + ": " + e.getMessage());
                }
            }
            Progress progress = ProgressBar.of(spec.commandLine().getErr(), output);
            progress.start("tensors", clouds.names.size());
            for (String name : clouds.names) {
                CloudSummary.Rows rows = clouds.rows(name);
                int n = rows.dims();
                if (c0 != null && (c0.length != n || c0[0].length != n)) {
                    throw new InvalidInputException("--c0 " + c0Spec + ": C0 is " + c0.length + " x " + c0[0].length + " but '" + name + "' has " + n + " dimensions");
                }
                CloudSummary cloud = CloudSummary.of(rows, maxIdPoints, seed, manager);
                ObjectNode r = results.addObject();
                r.put("tensor", name).put("points", cloud.count()).put("dimensions", n);
                List<String> notes = new ArrayList<>();
                measure(r, notes, "isoscore", cloud::isoScore);
                measure(r, notes, "isoscore_star", () -> cloud.isoScoreStar(c0 != null ? c0 : IsoScore.identity(n), zeta, emulateTorch));
                measure(r, notes, "cosreg", cloud::cosReg);
                measure(r, notes, "mean_cosine", cloud::meanCosine);
                double[][] sample = cloud.sample();
                boolean id = maxIdPoints > 0;
                measure(r, notes, "twonn", () -> id ? IntrinsicDimension.twoNn(sample, variant) : skipped());
                measure(r, notes, "mle", () -> id ? IntrinsicDimension.mle(sample, 20) : skipped());
                measure(r, notes, "varex", cloud::varEx);
                measure(r, notes, "partition_score", () -> id ? PartitionScore.of(sample, partition) : skipped());
                if (id && cloud.sampled()) {
                    notes.add("twonn, mle, partition_score: on a seeded sample of " + sample.length + " of " + cloud.count()
                            + " points (--max-id-points)");
                }
                r.put("zeta", zeta).put("twonn_variant", variant.name().toLowerCase(Locale.ROOT))
                        .put("partition_variant", partition.name().toLowerCase(Locale.ROOT));
                r.putArray("informational").add("partition_score");
                ArrayNode nn = r.putArray("notes");
                notes.forEach(nn::add);
                progress.advance(1);
            }
            progress.end();
        }
        ObjectNode root = Json.result(spec);
        root.put("input", input.toString());
        root.set("results", results);
        if (out != null) {
            write(root, out);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
            out.println(Json.write(root));
        } else {
            out.println("tensor        points  dims  IsoScore  IsoScore*  CosReg   mean cos  TwoNN    MLE      VarEx");
            for (var r : results) {
                out.printf(Locale.ROOT, "%-12s %7d %5d  %s  %s   %s  %s  %s  %s  %s%n", r.get("tensor").asText(), r.get("points").asInt(),
                        r.get("dimensions").asInt(), f(r, "isoscore"), f(r, "isoscore_star"), f(r, "cosreg"), f(r, "mean_cosine"),
                        f(r, "twonn"), f(r, "mle"), f(r, "varex"));
                r.get("notes").forEach(n -> out.println("  note: " + n.asText()));
            }
        }
        out.flush();
        return 0;
    }

    /** geometry.json, results.csv (one row per tensor and measure; "layer.N" tensors give layer N) and geometry.html. */
    private static void write(ObjectNode root, Path dir) {
        ObjectNode tidy = Json.MAPPER.createObjectNode();
        tidy.put("model", root.path("provenance").path("model").path("id").asText(Path.of(root.get("input").asText()).getFileName().toString()));
        ArrayNode layers = tidy.putArray("layers");
        ArrayNode values = Json.MAPPER.createArrayNode();
        List<String[]> rows = new ArrayList<>();
        String[] measures = {"isoscore", "isoscore_star", "cosreg", "mean_cosine", "twonn", "mle", "varex", "partition_score"};
        for (var r : root.get("results")) {
            String tensor = r.get("tensor").asText();
            ObjectNode l = layers.addObject();
            if (tensor.matches("layer\\.\\d+")) {
                l.put("layer", Integer.parseInt(tensor.substring(6)));
            } else {
                l.put("layer", tensor);
            }
            String[] row = new String[measures.length + 1];
            row[0] = tensor;
            for (int i = 0; i < measures.length; i++) {
                JsonNode v = r.get(measures[i]);
                if (v != null && v.isNumber()) {
                    l.put(measures[i], v.asDouble());
                    values.addObject().put("tensor", tensor).put("measure", measures[i]).put("value", v.asDouble());
                }
                row[i + 1] = v != null && v.isNumber() ? String.format(Locale.ROOT, "%.4f", v.asDouble()) : "–";
            }
            rows.add(row);
        }
        tracelens.io.AtomicFile.write(dir.resolve("geometry.json"), w -> w.write(Json.write(root) + "\n"));
        tracelens.results.TidyCsv.write(tidy, dir.resolve("results.csv"));
        String[] header = new String[measures.length + 1];
        header[0] = "tensor";
        System.arraycopy(measures, 0, header, 1, measures.length);
        new tracelens.report.HtmlPage("Geometry of " + root.get("input").asText())
                .paragraph("IsoScore and IsoScore* (1 = every direction used equally), CosReg and the mean cosine, TwoNN and MLE"
                        + " intrinsic dimension, VarEx; one row per tensor, in the input's order.")
                .chart(chart(values, List.of("isoscore", "isoscore_star", "mean_cosine"), "isotropy and cosine"))
                .chart(chart(values, List.of("twonn", "mle"), "intrinsic dimension"))
                .table(header, rows)
                .paragraph(tracelens.report.ProvenanceLine.of(root.get("provenance")))
                .write(dir.resolve("geometry.html"));
    }

    private static ObjectNode chart(ArrayNode all, List<String> measures, String title) {
        ObjectNode spec = Json.MAPPER.createObjectNode();
        spec.put("$schema", "https://vega.github.io/schema/vega-lite/v6.json");
        spec.put("title", title).put("width", 560).put("height", 220);
        ArrayNode values = spec.putObject("data").putArray("values");
        all.forEach(v -> {
            if (measures.contains(v.get("measure").asText())) {
                values.add(v);
            }
        });
        spec.putObject("mark").put("type", "line").put("point", true);
        ObjectNode enc = spec.putObject("encoding");
        enc.putObject("x").put("field", "tensor").put("type", "ordinal").put("sort", (String) null).put("title", "tensor");
        enc.putObject("y").put("field", "value").put("type", "quantitative").put("title", title);
        enc.putObject("color").put("field", "measure").put("type", "nominal");
        return spec;
    }

    /** A measure as the table prints it: four decimals, or a dash when undefined (tracelens-spark geometry too). */
    public static String f(com.fasterxml.jackson.databind.JsonNode r, String key) {
        return r.get(key).isNull() ? "    –   " : String.format(Locale.ROOT, "%8.4f", r.get(key).asDouble());
    }

    /** Undefined results (NaN, or an error the data causes) become null with the reason noted (tracelens-spark geometry too). */
    public static void measure(ObjectNode r, List<String> notes, String key, Supplier<Double> f) {
        try {
            double v = f.get();
            if (Double.isFinite(v)) {
                r.put(key, v);
            } else {
                r.putNull(key);
                notes.add(key + ": undefined for this data (zero total variance)");
            }
        } catch (InvalidInputException e) {
            r.putNull(key);
            notes.add(key + ": " + e.getMessage());
        }
    }

    private static double skipped() {
        throw new InvalidInputException("skipped (--max-id-points 0)");
    }

    /** I-STAR's C0: the covariance of all layers' points except layer 0 (the embeddings), stacked, streamed. */
    private static double[][] stackedCovariance(Clouds clouds, NDManager manager) {
        try (Covariance.Accumulator acc = new Covariance.Accumulator()) {
            return stackedCovariance(clouds, manager, acc);
        }
    }

    private static double[][] stackedCovariance(Clouds clouds, NDManager manager, Covariance.Accumulator acc) {
        for (String name : clouds.names) {
            if (name.equals("layer.0")) {
                continue;
            }
            CloudSummary.Rows rows = clouds.rows(name);
            for (long from = 0; from < rows.count(); from += 4096) {
                int b = (int) Math.min(4096, rows.count() - from);
                try (NDManager scope = manager.newSubManager()) {
                    acc.addRows(rows.block(scope, from, b));
                }
            }
        }
        if (acc.count() < 2) {
            throw new InvalidInputException("--c0 layers needs a safetensors input with layers beyond layer.0");
        }
        return acc.build();
    }

    /** The input's point clouds, by name: rows are streamed from a safetensors file or a sharded store, or held from a CSV file. */
    private static final class Clouds implements AutoCloseable {
        final List<String> names;
        private final SafeTensors file;
        private final tracelens.activations.ActivationFile store;
        private final double[][] csv;

        Clouds(List<String> names, SafeTensors file, tracelens.activations.ActivationFile store, double[][] csv) {
            this.names = names;
            this.file = file;
            this.store = store;
            this.csv = csv;
        }

        CloudSummary.Rows rows(String name) {
            if (store != null) {
                return store.rows(name);
            }
            if (file == null) {
                return CloudSummary.of(csv);
            }
            return CloudSummary.of(file, name);
        }

        @Override
        public void close() {
            if (file != null) {
                file.close();
            }
            if (store != null) {
                store.close();
            }
        }
    }

    private Clouds open() {
        String name = input.getFileName().toString();
        if (name.endsWith(".csv")) {
            return new Clouds(List.of("points"), null, null, PointsCsv.read(input));
        }
        if (java.nio.file.Files.isDirectory(input)) { // a sharded store, streamed shard by shard
            tracelens.activations.ActivationFile store = tracelens.activations.ActivationFile.open(input);
            try {
                return new Clouds(checkedNames(store.shapes()), null, store, null);
            } catch (RuntimeException e) {
                store.close();
                throw e;
            }
        }
        if (!name.endsWith(".safetensors")) {
            throw InvalidInputException.at(input, "expected a .csv or .safetensors file, or a sharded activation store folder");
        }
        SafeTensors st = SafeTensors.open(input);
        try {
            java.util.Map<String, long[]> shapes = new java.util.LinkedHashMap<>();
            st.tensors().forEach((k, v) -> shapes.put(k, v.shape()));
            return new Clouds(checkedNames(shapes), st, null, null);
        } catch (RuntimeException e) {
            st.close();
            throw e;
        }
    }

    /** The tensors to measure (every layer.<i>, or --tensor), each checked to be a non-empty (N, C) matrix. */
    private List<String> checkedNames(java.util.Map<String, long[]> shapes) {
        List<String> names = tensor != null ? List.of(tensor)
                : shapes.keySet().stream().filter(t -> t.matches("layer\\.\\d+")).sorted((a, b) ->
                        Integer.compare(Integer.parseInt(a.substring(6)), Integer.parseInt(b.substring(6)))).toList();
        if (names.isEmpty()) {
            throw InvalidInputException.at(input, "no layer.<i> tensors (name one with --tensor)");
        }
        for (String t : names) {
            if (!shapes.containsKey(t)) {
                throw InvalidInputException.at(input, "no tensor '" + t + "'");
            }
            long[] shape = shapes.get(t);
            if (shape.length != 2) {
                throw InvalidInputException.at(input, "tensor '" + t + "'", "has shape " + java.util.Arrays.toString(shape)
                        + "; points must be (N, C): extract with --pool mean, cls or last");
            }
            if (shape[0] == 0) {
                throw InvalidInputException.at(input, "tensor '" + t + "'", "is empty");
            }
        }
        return names;
    }
}
