package tracelens.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.cnn.CanvasData;
import tracelens.cnn.Cnn;
import tracelens.cnn.CnnLoader;
import tracelens.cnn.MnistCanvas;
import tracelens.error.InvalidInputException;
import tracelens.io.AtomicFile;
import tracelens.provenance.Provenance;
import tracelens.runtime.DjlRuntime;
import tracelens.saliency.BoxMetrics;
import tracelens.saliency.ChannelStatistics;
import tracelens.saliency.PixelRemoval;
import tracelens.saliency.Saliency;

@Command(name = "evaluate",
        header = "Evaluate attribution methods with and without ParchGrad on MNIST canvases, against the digits' boxes.",
        description = {"For a model from 'tracelens train-cnn': gathers channel statistics on training canvases (or reads",
            "--stats), then for held-out canvases computes each method's map plain and with ParchGrad (CLS and/or INS",
            "channel selection) and scores it by the energy inside the digit's box (mu_in, mu_in_w) and by MoRF / LeRF",
            "pixel-removal curves (parchgrad.md §7). Prints means and spreads; --out writes every number."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Example:", "  tracelens parchgrad evaluate --model mnist-resnet --images 50 --out eval.json"})
public final class ParchGradEvaluateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR|FILE", description = "A train-cnn folder (model.safetensors) or weights file.")
    Path model;

    @Option(names = "--canvas", defaultValue = "64", paramLabel = "S", description = "Canvas side the model was trained on. (default: ${DEFAULT-VALUE})")
    int canvas;

    @Option(names = "--images", defaultValue = "50", paramLabel = "N", description = "Held-out canvases to evaluate. (default: ${DEFAULT-VALUE})")
    int images;

    @Option(names = "--methods", defaultValue = "grad,inputgrad,smoothgrad,ig", split = ",", paramLabel = "M",
            description = "Attribution methods. (default: ${DEFAULT-VALUE})")
    List<String> methods;

    @Option(names = "--variants", defaultValue = "none,cls,ins", split = ",", paramLabel = "V",
            description = "none (plain gradients), cls, ins. (default: ${DEFAULT-VALUE})")
    List<String> variants;

    @Option(names = "--stats", paramLabel = "FILE", description = "Channel statistics ('tracelens parchgrad evaluate' writes them beside the model when absent).")
    Path stats;

    @Option(names = "--stats-images", defaultValue = "1000", paramLabel = "N", description = "Training canvases for the statistics. (default: ${DEFAULT-VALUE})")
    int statsImages;

    @Mixin
    ParchGradOptions parchGradOptions;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Canvas and SmoothGrad noise seed. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--cache", paramLabel = "DIR", description = "Cache folder for the digits.")
    Path cache;

    @Option(names = "--out", paramLabel = "FILE", description = "Write all per-image numbers and the summary as JSON.")
    Path out;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        OutputPaths.file("--out", out);
        PrintWriter err = spec.commandLine().getErr();
        var progress = ProgressBar.of(err, output);
        Path weights = Files.isDirectory(model) ? model.resolve("model.safetensors") : model;
        MnistCanvas digits = MnistCanvas.load(cache != null ? cache : DjlRuntime.cacheRoot());
        List<MnistCanvas.Image> test = digits.images(images, canvas, true, seed + 7_000_001);
        ObjectNode json = Json.result(spec);
        ObjectNode summary = json.putObject("summary");
        ArrayNode perImage = json.putArray("images");
        try (Cnn cnn = CnnLoader.load(weights, Cnn.Arch.RESNET18); NDManager m = DjlRuntime.manager()) {
            List<String> hooked = parchGradOptions.hooked(cnn);
            json.putArray("hooked").addAll(hooked.stream().map(com.fasterxml.jackson.databind.node.TextNode::new).toList());
            ChannelStatistics st = null;
            if (variants.stream().anyMatch(v -> !v.equals("none"))) {
                st = statistics(m, cnn, digits, weights, progress);
            }
            for (String method : methods) {
                Saliency.Method sm = Saliency.Method.parse(method);
                for (String variant : variants) {
                    Saliency.ParchGrad pg = parchGrad(variant, hooked, st);
                    List<double[]> rows = new ArrayList<>(); // mu_in, mu_in_w, morf aopc mean, lerf aopc mean
                    progress.start(method + " / " + variant, test.size());
                    for (int i = 0; i < test.size(); i++) {
                        MnistCanvas.Image img = test.get(i);
                        try (NDManager scope = m.newSubManager()) {
                            NDArray x = CanvasData.batch(scope, test, new int[] {i}, canvas);
                            float[] map = Saliency.maps(scope, cnn, x, new int[] {img.label()}, sm, pg, new Random(seed * 31 + i))[0];
                            BoxMetrics b = BoxMetrics.of(map, canvas, canvas, img.box());
                            PixelRemoval.Curve morf = PixelRemoval.curve(scope, cnn, x, map, img.label(), true);
                            PixelRemoval.Curve lerf = PixelRemoval.curve(scope, cnn, x, map, img.label(), false);
                            ObjectNode n = perImage.addObject();
                            n.put("index", i).put("method", method).put("variant", variant).put("label", img.label()).put("valid", b.valid());
                            Json.number(n, "mu_in", b.muIn());
                            Json.number(n, "mu_in_w", b.muInW());
                            n.set("morf_aopc", Json.MAPPER.valueToTree(morf.aopc()));
                            n.set("lerf_aopc", Json.MAPPER.valueToTree(lerf.aopc()));
                            n.set("morf_acc", Json.MAPPER.valueToTree(morf.acc()));
                            if (b.valid()) {
                                rows.add(new double[] {b.muIn(), b.muInW(), mean(morf.aopc()), mean(lerf.aopc())});
                            }
                        }
                        progress.advance(1);
                    }
                    progress.end();
                    ObjectNode s = summary.putObject(method + "/" + variant);
                    String[] keys = {"mu_in", "mu_in_w", "morf_aopc", "lerf_aopc"};
                    for (int k = 0; k < keys.length; k++) {
                        int kk = k;
                        double[] v = rows.stream().mapToDouble(r -> r[kk]).toArray();
                        Json.number(s, keys[k], mean(v));
                        Json.number(s, keys[k] + "_sd", sd(v));
                    }
                    s.put("valid_images", rows.size());
                }
            }
        }
        if (out != null) {
            AtomicFile.write(out, w -> w.write(Json.write(json) + "\n"));
            tracelens.results.TidyCsv.write(json, tracelens.results.TidyCsv.besideJson(out));
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (output.json) {
            stdout.println(Json.write(json));
        } else {
            stdout.println("method / variant        mu_in          mu_in_w        MoRF AOPC      LeRF AOPC      (mean ± sd over images)");
            summary.fields().forEachRemaining(e -> {
                var s = e.getValue();
                stdout.printf(Locale.ROOT, "%-22s %s %s %s %s%n", e.getKey(), cell(s, "mu_in"), cell(s, "mu_in_w"), cell(s, "morf_aopc"),
                        cell(s, "lerf_aopc"));
            });
        }
        stdout.flush();
        return 0;
    }

    private ChannelStatistics statistics(NDManager m, Cnn cnn, MnistCanvas digits, Path weights, tracelens.progress.Progress progress) {
        Path file = stats != null ? stats : (Files.isDirectory(model) ? model.resolve("channel-statistics.safetensors") : null);
        String digest = tracelens.provenance.FileDigest.of(weights);
        if (file != null && Files.isRegularFile(file)) {
            return ChannelStatistics.load(file, digest);
        }
        List<MnistCanvas.Image> pool = digits.images(statsImages, canvas, false, seed + 9_000_011);
        Provenance p = Provenance.now("parchgrad stats", new Provenance.ModelRef(weights.toString(), digest), List.of(),
                Map.of("canvas", String.valueOf(canvas), "images", String.valueOf(statsImages)), seed);
        int[] next = {0};
        ChannelStatistics st = ChannelStatistics.gather(m, cnn, scope -> {
            if (next[0] >= pool.size()) {
                return null;
            }
            int[] idx = new int[Math.min(64, pool.size() - next[0])];
            Arrays.setAll(idx, i -> next[0] + i);
            next[0] += idx.length;
            int[] y = Arrays.stream(idx).map(i -> pool.get(i).label()).toArray();
            return Map.entry(CanvasData.batch(scope, pool, idx, canvas), y);
        }, pool.size(), p, progress);
        if (file != null) {
            st.save(file);
        }
        return st;
    }

    private Saliency.ParchGrad parchGrad(String variant, List<String> hooked, ChannelStatistics st) {
        return switch (variant.toLowerCase(Locale.ROOT)) {
            case "none" -> null;
            case "cls" -> parchGradOptions.parchGrad(true, hooked, st);
            case "ins" -> parchGradOptions.parchGrad(false, hooked, st);
            default -> throw new InvalidInputException("--variants takes none, cls and ins, found '" + variant + "'");
        };
    }

    private static String cell(com.fasterxml.jackson.databind.JsonNode s, String key) {
        return String.format(Locale.ROOT, "%6.3f ± %5.3f ", s.path(key).asDouble(Double.NaN), s.path(key + "_sd").asDouble(Double.NaN));
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return v.length == 0 ? Double.NaN : s / v.length;
    }

    static double sd(double[] v) {
        if (v.length < 2) {
            return Double.NaN;
        }
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / (v.length - 1));
    }
}
