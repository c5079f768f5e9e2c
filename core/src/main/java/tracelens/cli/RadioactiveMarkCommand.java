package tracelens.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
import tracelens.cnn.Cnn;
import tracelens.cnn.CnnLoader;
import tracelens.error.InvalidInputException;
import tracelens.images.ImageFolder;
import tracelens.io.AtomicFile;
import tracelens.progress.Progress;
import tracelens.radioactive.Carriers;
import tracelens.radioactive.ImageMarker;
import tracelens.random.Permutation;
import tracelens.runtime.DjlRuntime;

@Command(name = "mark",
        header = "Mark a fraction of an image folder so that models trained on it can be detected.",
        description = {"Draws one random unit carrier per class in the marking network's feature space (the secret key),",
            "picks a seeded fraction q of the images, and optimises each picked image's pixels so that its features move",
            "along its class's carrier under random crops and flips, within +-R levels per pixel (radioactive.md §2).",
            "Writes OUT/<class>/<name>.png for every image (unpicked ones copied unchanged), OUT/marked.tsv (file, PSNR,",
            "feature shift along the carrier) and OUT/mark.json; the key goes to --key, outside OUT, so that OUT can be",
            "published. Images: one sub-folder per class (torchvision's ImageFolder), 8-bit PNG or BMP, gray or RGB."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Example:", "  tracelens radioactive mark --model marker --arch resnet18 --images train --fraction 0.05 --seed 1 --out train-marked"})
public final class RadioactiveMarkCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "The marking network (a folder with model.safetensors, or the file).")
    Path model;

    @Option(names = "--arch", defaultValue = "resnet18", paramLabel = "ARCH", description = "resnet18, vgg16_bn or efficientnet_b0. (default: ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--images", required = true, paramLabel = "DIR", description = "The image folder to mark (one sub-folder per class).")
    Path images;

    @Option(names = "--fraction", required = true, paramLabel = "Q", description = "Share of the images to mark, in (0, 1].")
    double fraction;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Draws the carriers, the marked images and the augmentations. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "The marked image folder (must not exist).")
    Path out;

    @Option(names = "--key", paramLabel = "FILE", description = "Where the secret carriers go (default: OUT.key.safetensors beside OUT).")
    Path key;

    @Option(names = "--iterations", defaultValue = "90", paramLabel = "N", description = "Optimisation steps per image. (default: ${DEFAULT-VALUE})")
    int iterations;

    @Option(names = "--lr", defaultValue = "1.0", paramLabel = "LR", description = "SGD learning rate. (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--momentum", defaultValue = "0", paramLabel = "M", description = "SGD momentum. (default: ${DEFAULT-VALUE})")
    double momentum;

    @Option(names = "--lambda-ft", defaultValue = "0.01", paramLabel = "L", description = "Weight of the feature drift |phi(x~) - phi(x)|. (default: ${DEFAULT-VALUE})")
    double lambdaFt;

    @Option(names = "--lambda-img", defaultValue = "0.0005", paramLabel = "L", description = "Weight of the image change |x~ - x|^2. (default: ${DEFAULT-VALUE})")
    double lambdaImg;

    @Option(names = "--radius", defaultValue = "10", paramLabel = "R", description = "Largest change per pixel, in levels of 255. (default: ${DEFAULT-VALUE})")
    double radius;

    @Option(names = "--augmentation", defaultValue = "random", paramLabel = "random|center", description = "Crops during optimisation. (default: ${DEFAULT-VALUE})")
    String augmentation;

    @Option(names = "--normalize", defaultValue = "auto", paramLabel = "auto|canvas|imagenet", description = "Input normalisation; auto reads the model's metadata (train-cnn models: canvas). (default: ${DEFAULT-VALUE})")
    String normalize;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N", description = "Images of one class optimised together. (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws IOException {
        OutputPaths.folder("--out", out);
        if (!(fraction > 0 && fraction <= 1)) {
            throw InvalidInputException.field("fraction", " must be in (0, 1], found " + fraction);
        }
        if (batchSize < 1) {
            throw InvalidInputException.field("batch_size", " must be at least 1");
        }
        boolean random = switch (augmentation) {
            case "random" -> true;
            case "center" -> false;
            default -> throw new InvalidInputException("--augmentation must be random or center, found '" + augmentation + "'");
        };
        ImageMarker.Options o = new ImageMarker.Options(iterations, lr, momentum, momentum > 0 ? 1e-4 : 0, lambdaFt, lambdaImg, radius, random);
        if (Files.exists(out)) {
            throw InvalidInputException.at(out, "already exists; marking writes a new folder");
        }
        Path keyFile = key != null ? key : out.toAbsolutePath().resolveSibling(out.getFileName() + ".key.safetensors");
        if (Files.exists(keyFile)) {
            throw InvalidInputException.at(keyFile, "already exists; a key is never overwritten");
        }
        if (keyFile.toAbsolutePath().normalize().startsWith(out.toAbsolutePath().normalize())) {
            throw InvalidInputException.at(keyFile, "lies inside the output folder, which is meant to be published");
        }
        OutputPaths.file("--key", keyFile);
        ImageFolder data = ImageFolder.read(images);
        Cnn.Arch a = Cnn.Arch.parse(arch);
        PrintWriter err = spec.commandLine().getErr();
        Progress progress = ProgressBar.of(err, output);
        ObjectNode json = Json.result(spec);
        int n = data.items().size();
        int count = Math.max(1, (int) Math.round(fraction * n));
        int[] picked = Arrays.copyOf(Permutation.of(n, new Random(seed)), count);
        Arrays.sort(picked);
        List<ImageMarker.Marked> marked = new ArrayList<>();
        Carriers carriers;
        try (Cnn cnn = CnnLoader.load(model, a); var root = DjlRuntime.manager()) {
            if (cnn.numClasses() != data.classes().size()) {
                throw InvalidInputException.at(images, "has " + data.classes().size() + " classes, the model " + cnn.numClasses());
            }
            ImageMarker.Normalisation norm = normalisation(cnn);
            int d = cnn.headWeight()[0].length;
            carriers = Carriers.random(data.classes().size(), d, seed);
            // one carrier per class: batches of one class and one size
            Map<String, List<ImageFolder.Item>> groups = new LinkedHashMap<>();
            for (int i : picked) {
                ImageFolder.Item it = data.items().get(i);
                groups.computeIfAbsent(it.label() + "/" + it.channels() + "x" + it.height() + "x" + it.width(), k -> new ArrayList<>()).add(it);
            }
            progress.start("marking " + count + " images", count);
            int batchIndex = 0;
            for (List<ImageFolder.Item> group : groups.values()) {
                for (int from = 0; from < group.size(); from += batchSize) {
                    List<ImageFolder.Item> batch = group.subList(from, Math.min(group.size(), from + batchSize));
                    marked.addAll(ImageMarker.mark(root, cnn, batch, carriers.u()[batch.get(0).label()], norm, o,
                            seed * 1_000_003L + batchIndex++));
                    progress.advance(batch.size());
                }
            }
            progress.end();
            json.put("normalisation", norm.std()[0] == 0.25f ? "canvas" : "imagenet");
        }
        Path keyTmp = keyFile.resolveSibling("." + keyFile.getFileName() + ".partial");
        try {
            tracelens.io.AtomicFolder.write(out, tmp -> writeMarked(tmp, data, marked, carriers, keyFile, keyTmp, json, n, count));
            Files.move(keyTmp, keyFile, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(keyTmp);
            throw e;
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (output.json) {
            stdout.println(Json.write(json));
        } else {
            stdout.printf(Locale.ROOT, "marked %d of %d images (PSNR mean %.1f dB, min %.1f dB; feature shift along the carrier %.3f,"
                    + " cosine %.3f); wrote %s and the key %s%n", count, n, json.get("psnr_mean").asDouble(), json.get("psnr_min").asDouble(),
                    json.get("shift_along_carrier_mean").asDouble(), json.get("shift_cosine_mean").asDouble(), out, keyFile);
        }
        stdout.flush();
        return 0;
    }

    /** The marked folder's content (images, marked.tsv, mark.json) and the key, written beside it to {@code keyTmp}. */
    private void writeMarked(Path tmp, ImageFolder data, List<ImageMarker.Marked> marked, Carriers carriers, Path keyFile, Path keyTmp,
            ObjectNode json, int n, int count) throws IOException {
        writeFolder(tmp, data, marked);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("classes", String.join(",", data.classes()));
        meta.put("marked_folder", out.toAbsolutePath().toString());
        meta.put("fraction", Double.toString(fraction));
        meta.put("marked_files", String.join(",", marked.stream().map(m -> m.image().relative()).toList()));
        carriers.write(keyTmp, meta);
        double[] psnr = marked.stream().mapToDouble(ImageMarker.Marked::psnr).toArray();
        double[] shift = marked.stream().mapToDouble(ImageMarker.Marked::shiftAlongCarrier).toArray();
        double[] cos = marked.stream().mapToDouble(ImageMarker.Marked::shiftCosine).toArray();
        json.put("images", n);
        json.put("marked", count);
        Json.number(json, "fraction", fraction);
        json.put("classes", data.classes().size());
        json.put("feature_dimension", carriers.dimension());
        json.put("key", keyFile.toString());
        Json.number(json, "psnr_mean", Arrays.stream(psnr).filter(Double::isFinite).average().orElse(Double.NaN));
        Json.number(json, "psnr_min", Arrays.stream(psnr).min().orElse(Double.NaN));
        Json.number(json, "shift_along_carrier_mean", Arrays.stream(shift).average().orElse(Double.NaN));
        Json.number(json, "shift_cosine_mean", Arrays.stream(cos).average().orElse(Double.NaN));
        AtomicFile.write(tmp.resolve("mark.json"), w -> w.write(Json.write(json) + "\n"));
    }

    private ImageMarker.Normalisation normalisation(Cnn cnn) {
        return switch (normalize.toLowerCase(Locale.ROOT)) {
            case "auto" -> tracelens.radioactive.ImageFeatures.of(model);
            case "canvas" -> ImageMarker.Normalisation.canvas();
            case "imagenet" -> new ImageMarker.Normalisation(tracelens.saliency.ImageInput.IMAGENET_MEAN, tracelens.saliency.ImageInput.IMAGENET_STD);
            default -> throw new InvalidInputException("--normalize must be auto, canvas or imagenet, found '" + normalize + "'");
        };
    }

    private void writeFolder(Path dir, ImageFolder data, List<ImageMarker.Marked> marked) throws IOException {
        Map<String, ImageMarker.Marked> byFile = new LinkedHashMap<>();
        for (ImageMarker.Marked m : marked) {
            byFile.put(m.image().relative(), m);
        }
        Files.createDirectories(dir);
        for (String c : data.classes()) {
            Files.createDirectories(dir.resolve(c));
        }
        StringBuilder tsv = new StringBuilder("file\tclass\tpsnr_db\tshift_along_carrier\tshift_cosine\n");
        for (ImageFolder.Item it : data.items()) {
            ImageMarker.Marked m = byFile.get(it.relative());
            if (m == null) {
                Files.copy(images.resolve(it.relative()), dir.resolve(it.relative()));
            } else {
                String name = it.relative().replaceAll("\\.[^./]+$", "") + ".png";
                ImageFolder.writePng(dir.resolve(name), m.image());
                tsv.append(String.format(Locale.ROOT, "%s\t%s\t%.3f\t%.6f\t%.6f%n", name, data.classes().get(it.label()), m.psnr(),
                        m.shiftAlongCarrier(), m.shiftCosine()));
            }
        }
        Files.writeString(dir.resolve("marked.tsv"), tsv);
    }
}
