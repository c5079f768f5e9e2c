package tracelens.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.error.InvalidInputException;
import tracelens.geometry.Cosine;
import tracelens.geometry.Covariance;
import tracelens.geometry.IntrinsicDimension;
import tracelens.geometry.IsoScore;
import tracelens.geometry.PointsCsv;
import tracelens.geometry.VarEx;
import tracelens.model.SafeTensors;

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

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        if (!(zeta >= 0 && zeta <= 1)) {
            throw new InvalidInputException("--zeta must be in [0, 1], found " + zeta);
        }
        IntrinsicDimension.TwoNnVariant variant = switch (twonnVariant.toLowerCase(Locale.ROOT)) {
            case "fixed" -> IntrinsicDimension.TwoNnVariant.FIXED;
            case "legacy" -> IntrinsicDimension.TwoNnVariant.LEGACY;
            default -> throw new InvalidInputException("--twonn-variant must be fixed or legacy, found '" + twonnVariant + "'");
        };
        Map<String, double[][]> clouds = load();
        double[][] c0 = c0Spec == null ? null : c0Spec.equals("layers") ? stackedCovariance(clouds) : PointsCsv.read(Path.of(c0Spec));
        ArrayNode results = Json.MAPPER.createArrayNode();
        for (Map.Entry<String, double[][]> e : clouds.entrySet()) {
            double[][] p = e.getValue();
            int n = p[0].length;
            if (c0 != null && (c0.length != n || c0[0].length != n)) {
                throw new InvalidInputException("--c0 " + c0Spec + ": C0 is " + c0.length + " x " + c0[0].length + " but '" + e.getKey() + "' has " + n + " dimensions");
            }
            ObjectNode r = results.addObject();
            r.put("tensor", e.getKey()).put("points", p.length).put("dimensions", n);
            List<String> notes = new ArrayList<>();
            // one covariance serves IsoScore* and VarEx (computed on first use, so its errors become notes); IsoScore keeps
            // its own scale-safe path, which never squares the raw scale
            double[][][] cov = new double[1][][];
            Supplier<double[][]> c = () -> cov[0] != null ? cov[0] : (cov[0] = Covariance.of(p));
            measure(r, notes, "isoscore", () -> IsoScore.of(p));
            measure(r, notes, "isoscore_star", () -> IsoScore.starOfCovariance(c.get(), c0 != null ? c0 : IsoScore.identity(n), zeta));
            measure(r, notes, "cosreg", () -> Cosine.cosReg(p));
            measure(r, notes, "mean_cosine", () -> Cosine.meanDistinct(p));
            measure(r, notes, "twonn", () -> IntrinsicDimension.twoNn(p, variant));
            measure(r, notes, "mle", () -> IntrinsicDimension.mle(p, 20));
            measure(r, notes, "varex", () -> VarEx.ofCovariance(c.get()));
            r.put("zeta", zeta).put("twonn_variant", variant.name().toLowerCase(Locale.ROOT));
            ArrayNode nn = r.putArray("notes");
            notes.forEach(nn::add);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
            ObjectNode root = Json.result("geometry");
            root.put("input", input.toString());
            root.set("results", results);
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

    private static String f(com.fasterxml.jackson.databind.JsonNode r, String key) {
        return r.get(key).isNull() ? "    –   " : String.format(Locale.ROOT, "%8.4f", r.get(key).asDouble());
    }

    /** Undefined results (NaN, or an error the data causes) become null with the reason noted. */
    private static void measure(ObjectNode r, List<String> notes, String key, Supplier<Double> f) {
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

    /** I-STAR's C0: the covariance of all layers' points except layer 0 (the embeddings), stacked into one cloud. */
    private static double[][] stackedCovariance(Map<String, double[][]> clouds) {
        Covariance.Accumulator acc = new Covariance.Accumulator();
        clouds.forEach((name, p) -> {
            if (!name.equals("layer.0")) {
                for (double[] row : p) {
                    float[] f = new float[row.length];
                    for (int j = 0; j < row.length; j++) {
                        f[j] = (float) row[j]; // the clouds were read from f32 tensors: exact
                    }
                    acc.add(f);
                }
            }
        });
        if (acc.count() < 2) {
            throw new InvalidInputException("--c0 layers needs a safetensors input with layers beyond layer.0");
        }
        return acc.build();
    }

    private Map<String, double[][]> load() {
        Map<String, double[][]> clouds = new LinkedHashMap<>();
        String name = input.getFileName().toString();
        if (name.endsWith(".csv")) {
            clouds.put("points", PointsCsv.read(input));
            return clouds;
        }
        if (!name.endsWith(".safetensors")) {
            throw InvalidInputException.at(input, "expected a .csv or .safetensors file");
        }
        try (SafeTensors st = SafeTensors.open(input)) {
            List<String> names = tensor != null ? List.of(tensor)
                    : st.tensors().keySet().stream().filter(t -> t.startsWith("layer.")).sorted((a, b) ->
                            Integer.compare(Integer.parseInt(a.substring(6)), Integer.parseInt(b.substring(6)))).toList();
            if (names.isEmpty()) {
                throw InvalidInputException.at(input, "no layer.<i> tensors (name one with --tensor)");
            }
            for (String t : names) {
                long[] shape = st.info(t).shape();
                if (shape.length != 2) {
                    throw InvalidInputException.at(input, "tensor '" + t + "'", "has shape " + java.util.Arrays.toString(shape)
                            + "; points must be (N, C): extract with --pool mean, cls or last");
                }
                if (shape[0] == 0) {
                    throw InvalidInputException.at(input, "tensor '" + t + "'", "is empty");
                }
                float[] flat = st.floats(t);
                int m = (int) shape[0];
                int n = (int) shape[1];
                double[][] p = new double[m][n];
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        p[i][j] = flat[i * n + j];
                    }
                }
                clouds.put(t, p);
            }
        }
        return clouds;
    }
}
