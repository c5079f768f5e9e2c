package tracelens.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import javax.imageio.ImageIO;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.cnn.Cnn;
import tracelens.cnn.CnnLoader;
import tracelens.error.InvalidInputException;
import tracelens.model.DType;
import tracelens.model.SafeTensorsWriter;
import tracelens.nn.Hooks;
import tracelens.provenance.FileDigest;
import tracelens.runtime.DjlRuntime;
import tracelens.saliency.ChannelStatistics;
import tracelens.saliency.ImageInput;
import tracelens.saliency.Saliency;

@Command(name = "saliency",
        header = "Saliency maps of a CNN classifier, plain or with ParchGrad.",
        description = {"Computes gradient, input x gradient, SmoothGrad (25 copies, sigma 0.15 of the range, seeded) or integrated",
            "gradients (25 steps from a zero baseline, trapezoid) maps for every image of a folder, for the predicted class or",
            "labels from a file, optionally with ParchGrad's channel-gradient control (CLS or INS selection from channel",
            "statistics). Writes DIR/maps.safetensors, an overlay PNG per image and method, and DIR/index.html (a gallery)."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Examples:",
            "  tracelens saliency --model resnet18.safetensors --arch resnet18 --images photos --method grad,ig --out maps",
            "  tracelens saliency --model mnist-resnet --images canvases --input-size 64 --normalize canvas \\",
            "      --parchgrad ins --stats mnist-resnet/channel-statistics.safetensors --out maps"})
public final class SaliencyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "FILE|DIR", description = "Weights in the torchvision layout (.safetensors, a torchvision .pth state dict, or a folder with model.safetensors).")
    Path model;

    @Option(names = "--arch", defaultValue = "resnet18", paramLabel = "resnet18|vgg16_bn|efficientnet_b0", description = "(default: ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--images", required = true, paramLabel = "DIR", description = "Folder of .png/.jpg/.bmp/.gif images (sorted by name).")
    Path images;

    @Option(names = "--method", defaultValue = "grad", split = ",", paramLabel = "grad|inputgrad|smoothgrad|ig", description = "One or more, side by side. (default: ${DEFAULT-VALUE})")
    List<String> methods;

    @Option(names = "--target", defaultValue = "predicted", paramLabel = "predicted|FILE", description = "The class to explain: the prediction, or a file of 'name label' lines (or one label per line in image order). (default: ${DEFAULT-VALUE})")
    String target;

    @Option(names = "--parchgrad", defaultValue = "none", paramLabel = "none|cls|ins", description = "Channel selection for ParchGrad. (default: ${DEFAULT-VALUE})")
    String parchgrad;

    @Option(names = "--stats", paramLabel = "FILE", description = "Channel statistics of this model (from 'parchgrad evaluate'); needed by cls and ins.")
    Path stats;

    @Mixin
    ParchGradOptions parchGradOptions;

    @Option(names = "--input-size", defaultValue = "224", paramLabel = "S", description = "The model's input side. (default: ${DEFAULT-VALUE})")
    int inputSize;

    @Option(names = "--no-resize", description = "Refuse images of another size instead of resizing them (shorter side 256, centre crop 224).")
    boolean noResize;

    @Option(names = "--normalize", defaultValue = "imagenet", paramLabel = "imagenet|canvas", description = "Input normalisation: ImageNet mean/std, or (x - 0.5) / 0.25 (train-cnn). (default: ${DEFAULT-VALUE})")
    String normalize;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "SmoothGrad noise. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        OutputPaths.folder("--out", out);
        Cnn.Arch a = Cnn.Arch.parse(arch);
        List<Saliency.Method> ms = methods.stream().map(Saliency.Method::parse).toList();
        parchGradOptions.check();
        boolean canvas = switch (normalize.toLowerCase(Locale.ROOT)) {
            case "imagenet" -> false;
            case "canvas" -> true;
            default -> throw new InvalidInputException("--normalize must be imagenet or canvas, found '" + normalize + "'");
        };
        List<Path> files = ImageInput.list(images);
        List<ImageInput.Image> decoded = new ArrayList<>();
        for (Path f : files) {
            decoded.add(ImageInput.read(f, inputSize, noResize)); // every file is checked before any output is written
        }
        Path weights = Files.isDirectory(model) ? model.resolve("model.safetensors") : model;
        PrintWriter err = spec.commandLine().getErr();
        var progress = ProgressBar.of(err, output);
        int n = decoded.size();
        int hw = inputSize * inputSize;
        Map<String, float[]> maps = new LinkedHashMap<>();
        float[] logits;
        int[] targets;
        try (Cnn cnn = CnnLoader.load(weights, a); NDManager m = DjlRuntime.manager()) {
            int k = cnn.numClasses();
            Saliency.ParchGrad pg = parchGrad(cnn, weights);
            float[] flat = new float[n * 3 * hw];
            for (int i = 0; i < n; i++) {
                float[] chw = decoded.get(i).chw();
                for (int c = 0; c < 3; c++) {
                    for (int p = 0; p < hw; p++) {
                        float v = chw[c * hw + p];
                        flat[(i * 3 + c) * hw + p] = canvas ? (v - 0.5f) / 0.25f
                                : (v - ImageInput.IMAGENET_MEAN[c]) / ImageInput.IMAGENET_STD[c];
                    }
                }
            }
            NDArray x = m.create(flat, new Shape(n, 3, inputSize, inputSize));
            logits = cnn.forward(x, Hooks.none(m)).toFloatArray();
            targets = targets(files, logits, k);
            for (Saliency.Method method : ms) {
                float[] all = new float[n * hw];
                progress.start(method.name().toLowerCase(Locale.ROOT) + (pg == null ? "" : " with ParchGrad " + parchgrad), n);
                try {
                    for (int i = 0; i < n; i++) {
                        float[] map = Saliency.maps(m, cnn, x.get(i + ":" + (i + 1)), new int[] {targets[i]}, method, pg,
                                new Random(seed * 1_000_003 + i))[0];
                        System.arraycopy(map, 0, all, i * hw, hw);
                        progress.advance(1);
                    }
                } finally {
                    progress.end();
                }
                maps.put(method.name().toLowerCase(Locale.ROOT), all);
            }
            write(decoded, maps, logits, targets, k);
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (output.json) {
            ObjectNode r = Json.result(spec);
            r.put("output", out.toString());
            r.put("images", n);
            ArrayNode t = r.putArray("targets");
            for (int v : targets) {
                t.add(v);
            }
            stdout.println(Json.write(r));
        } else {
            stdout.printf("wrote %s (maps of %d images, %s), overlays and index.html%n", out.resolve("maps.safetensors"), n,
                    String.join(", ", maps.keySet()));
        }
        stdout.flush();
        return 0;
    }

    private Saliency.ParchGrad parchGrad(Cnn cnn, Path weights) {
        String v = parchgrad.toLowerCase(Locale.ROOT);
        if (v.equals("none")) {
            return null;
        }
        if (!v.equals("cls") && !v.equals("ins")) {
            throw new InvalidInputException("--parchgrad must be none, cls or ins, found '" + parchgrad + "'");
        }
        if (stats == null) {
            throw new InvalidInputException("--parchgrad " + v + " needs --stats FILE (channel statistics of this model)");
        }
        ChannelStatistics st = ChannelStatistics.load(stats, FileDigest.of(weights));
        return parchGradOptions.parchGrad(v.equals("cls"), parchGradOptions.hooked(cnn), st);
    }

    private int[] targets(List<Path> files, float[] logits, int k) throws java.io.IOException {
        int n = files.size();
        int[] t = new int[n];
        if (target.equalsIgnoreCase("predicted")) {
            return tracelens.sip.Metrics.argmax(logits, k);
        }
        Path file = Path.of(target);
        List<String> lines = Files.readAllLines(file).stream().filter(l -> !l.isBlank()).toList();
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (int li = 0; li < lines.size(); li++) {
            String[] parts = lines.get(li).trim().split("\\s+|,");
            try {
                int label = Integer.parseInt(parts[parts.length - 1]);
                if (label < 0 || label >= k) {
                    throw InvalidInputException.at(file, "line " + (li + 1), "label " + label + " outside 0.." + (k - 1));
                }
                byName.put(parts.length > 1 ? parts[0] : String.valueOf(li), label);
            } catch (NumberFormatException e) {
                throw InvalidInputException.at(file, "line " + (li + 1), "'" + lines.get(li) + "' does not end in a class index");
            }
        }
        for (int i = 0; i < n; i++) {
            Integer label = byName.getOrDefault(files.get(i).getFileName().toString(), byName.get(String.valueOf(i)));
            if (label == null) {
                throw InvalidInputException.at(file, "has no label for " + files.get(i).getFileName());
            }
            t[i] = label;
        }
        return t;
    }

    private void write(List<ImageInput.Image> decoded, Map<String, float[]> maps, float[] logits, int[] targets, int k) throws Exception {
        int n = decoded.size();
        int s = inputSize;
        Files.createDirectories(out);
        List<SafeTensorsWriter.Spec> specs = new ArrayList<>();
        String first = maps.keySet().iterator().next();
        for (String method : maps.keySet()) {
            specs.add(new SafeTensorsWriter.Spec(method.equals(first) ? "maps" : "maps." + method, DType.F32, new long[] {n, s, s}));
        }
        specs.add(new SafeTensorsWriter.Spec("logits", DType.F32, new long[] {n, k}));
        specs.add(new SafeTensorsWriter.Spec("targets", DType.I64, new long[] {n}));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "tracelens.saliency/1");
        meta.put("images", Json.write(decoded.stream().map(ImageInput.Image::name).toList()));
        meta.put("methods", String.join(",", maps.keySet()));
        meta.put("parchgrad", parchgrad);
        meta.put("provenance", Json.write(Json.result(spec).get("provenance")));
        try (SafeTensorsWriter w = SafeTensorsWriter.create(out.resolve("maps.safetensors"), specs, meta)) {
            for (Map.Entry<String, float[]> e : maps.entrySet()) {
                w.writeFloats(e.getKey().equals(first) ? "maps" : "maps." + e.getKey(), 0, e.getValue());
            }
            w.writeFloats("logits", 0, logits);
            long[] t = new long[n];
            for (int i = 0; i < n; i++) {
                t[i] = targets[i];
            }
            w.writeLongs("targets", 0, t);
            w.commit();
        }
        StringBuilder html = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>tracelens saliency</title>"
                + "<style>body{font-family:sans-serif;margin:2em}td{padding:6px;text-align:center;font-size:13px}img{width:"
                + Math.max(s, 160) + "px;image-rendering:pixelated}</style></head><body><h1>Saliency maps</h1><p>")
                .append(tracelens.report.HtmlPage.escape(model.toString())).append(", ParchGrad: ").append(parchgrad)
                .append("</p><table><tr><th>image</th>");
        maps.keySet().forEach(mname -> html.append("<th>").append(mname).append("</th>"));
        html.append("</tr>\n");
        for (int i = 0; i < n; i++) {
            ImageInput.Image img = decoded.get(i);
            double p = softmax(logits, i, k)[targets[i]];
            html.append("<tr><td><img src=\"data:image/png;base64,").append(png(img.chw(), null, s)).append("\"><br>")
                    .append(tracelens.report.HtmlPage.escape(img.name())).append("<br>class ").append(targets[i])
                    .append(String.format(Locale.ROOT, ", p = %.3f", p)).append("</td>");
            for (Map.Entry<String, float[]> e : maps.entrySet()) {
                float[] map = java.util.Arrays.copyOfRange(e.getValue(), i * s * s, (i + 1) * s * s);
                String b64 = png(img.chw(), map, s);
                Files.write(out.resolve(stem(img.name()) + "." + e.getKey() + ".png"), Base64.getDecoder().decode(b64));
                html.append("<td><img src=\"data:image/png;base64,").append(b64).append("\"></td>");
            }
            html.append("</tr>\n");
        }
        html.append("</table></body></html>\n");
        tracelens.io.AtomicFile.write(out.resolve("index.html"), w -> w.write(html.toString()));
    }

    private static double[] softmax(float[] logits, int row, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < k; c++) {
            max = Math.max(max, logits[row * k + c]);
        }
        double[] p = new double[k];
        double sum = 0;
        for (int c = 0; c < k; c++) {
            p[c] = Math.exp(logits[row * k + c] - max);
            sum += p[c];
        }
        for (int c = 0; c < k; c++) {
            p[c] /= sum;
        }
        return p;
    }

    /** The image (CHW in [0, 1]) as PNG, or, with a map, its gray version under the map in a red-yellow heat scale. */
    private static String png(float[] chw, float[] map, int s) throws java.io.IOException {
        BufferedImage img = new BufferedImage(s, s, BufferedImage.TYPE_INT_RGB);
        double max = 0;
        if (map != null) {
            for (float v : map) {
                max = Math.max(max, Float.isNaN(v) ? 0 : Math.abs(v));
            }
        }
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                int p = y * s + x;
                float r = chw[p];
                float g = chw[s * s + p];
                float b = chw[2 * s * s + p];
                int rgb;
                if (map == null) {
                    rgb = to8(r) << 16 | to8(g) << 8 | to8(b);
                } else {
                    float gray = 0.3f * (r + g + b) / 3;
                    float h = max > 0 ? (float) (Math.abs(map[p]) / max) : 0;
                    rgb = to8(gray + h) << 16 | to8(gray + Math.max(0, 2 * h - 1)) << 8 | to8(gray);
                }
                img.setRGB(x, y, rgb);
            }
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(img, "png", bytes);
        return Base64.getEncoder().encodeToString(bytes.toByteArray());
    }

    private static int to8(float v) {
        return Math.max(0, Math.min(255, Math.round(v * 255)));
    }

    private static String stem(String name) {
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
