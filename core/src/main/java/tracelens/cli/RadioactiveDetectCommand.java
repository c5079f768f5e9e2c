package tracelens.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.error.InvalidInputException;
import tracelens.geometry.PointsCsv;
import tracelens.model.SafeTensors;
import tracelens.radioactive.Detection;

@Command(name = "detect",
        header = "Was this classifier trained on the marked data? Cosines to the carriers, per-class and combined p-values.",
        description = {"Per class, the cosine between the suspect classifier's weight row and the secret carrier, its p-value",
            "under 'random direction' (regularized incomplete beta), and Fisher's combination over classes (log10 p stays",
            "finite however strong the mark). With --reference-features and --suspect-features (features of the same",
            "held-out images from the marking network and from the suspect), the suspect's classifier is first aligned to",
            "the marker's feature space by least squares, so a differently trained network can be tested. Or give the",
            "suspect CNN itself (--model, --arch) with the marking network (--marker) and held-out images (--images):",
            "features and the final layer are then taken from the networks.",
            "Matrices: CSV (one row per class or image, no header) or safetensors (the first 2-D tensor)."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Example:", "  tracelens radioactive detect --carriers key.csv --classifier fc.csv --json"})
public final class RadioactiveDetectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--carriers", required = true, paramLabel = "FILE", description = "The secret carriers, C x d.")
    Path carriers;

    @Option(names = "--classifier", paramLabel = "FILE", description = "The suspect's classifier weights, C x d (or C x d_t with features).")
    Path classifier;

    @Option(names = "--model", paramLabel = "DIR", description = "Instead of the files: the suspect CNN (its final layer is the classifier).")
    Path model;

    @Option(names = "--arch", defaultValue = "resnet18", paramLabel = "ARCH", description = "The suspect's architecture. (default: ${DEFAULT-VALUE})")
    String arch;

    @Option(names = "--marker", paramLabel = "DIR", description = "With --model: the marking network, to align the suspect's features to its own.")
    Path marker;

    @Option(names = "--marker-arch", defaultValue = "resnet18", paramLabel = "ARCH", description = "(default: ${DEFAULT-VALUE})")
    String markerArch;

    @Option(names = "--images", paramLabel = "DIR", description = "With --marker: held-out, unmarked images (one sub-folder per class) for the alignment.")
    Path images;

    @Option(names = "--reference-features", paramLabel = "FILE", description = "Marking network's features of held-out images, n x d.")
    Path reference;

    @Option(names = "--suspect-features", paramLabel = "FILE", description = "Suspect network's features of the same images, n x d_t.")
    Path suspect;

    @Option(names = "--head", paramLabel = "FILE", description = "Instead of the files: a head from 'radioactive train-head' (features: its hidden layer).")
    Path head;

    @Option(names = "--embeddings", paramLabel = "FILE", description = "With --head: held-out, unmarked embeddings for the alignment.")
    Path embeddings;

    @Option(names = "--ridge", defaultValue = "0", paramLabel = "L", description = "Ridge for the alignment, relative to the features' mean variance; 0 = minimum-norm least squares, as the original. (default: ${DEFAULT-VALUE})")
    double ridge;

    @Option(names = "--aligned-out", paramLabel = "FILE", description = "Also write the suspect's classifier in the marker's space (C x d, CSV): test it against other keys without re-running the networks.")
    Path alignedOut;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.file("--aligned-out", alignedOut);
        if ((reference == null) != (suspect == null)) {
            throw new InvalidInputException("--reference-features and --suspect-features go together");
        }
        if ((classifier == null ? 0 : 1) + (model == null ? 0 : 1) + (head == null ? 0 : 1) != 1) {
            throw new InvalidInputException("give the suspect as --classifier FILE, --model DIR or --head FILE, one of them");
        }
        if ((head == null) != (embeddings == null)) {
            throw new InvalidInputException("--head and --embeddings go together");
        }
        if (model != null && (reference != null || (marker == null) != (images == null))) {
            throw new InvalidInputException("with --model, align with --marker DIR and --images DIR (not feature files), or give neither");
        }
        double[][] u = read(carriers);
        Detection.Result r;
        if (head != null) {
            try (var root = tracelens.runtime.DjlRuntime.manager();
                    tracelens.radioactive.ClassifierHead h = tracelens.radioactive.ClassifierHead.load(root, head)) {
                tracelens.radioactive.Embeddings e = tracelens.radioactive.Embeddings.read(embeddings, null);
                r = Detection.detect(u, h.classifier(), tracelens.geometry.Points.toDouble(e.x()), h.features(root, e.x()), ridge);
            }
        } else if (model == null) {
            double[][] w = read(classifier);
            r = reference == null ? Detection.detect(u, w) : Detection.detect(u, w, read(reference), read(suspect), ridge);
        } else {
            r = detectModel(u);
        }
        if (alignedOut != null) {
            StringBuilder csv = new StringBuilder();
            for (double[] row : r.classifier()) {
                csv.append(java.util.Arrays.stream(row).mapToObj(v -> Double.toString(v)).collect(java.util.stream.Collectors.joining(","))).append('\n');
            }
            tracelens.io.AtomicFile.writeString(alignedOut, csv.toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
            ObjectNode n = Json.result(spec);
            n.set("cosines", Json.MAPPER.valueToTree(r.cosines()));
            n.set("p_values", Json.MAPPER.valueToTree(r.pValues()));
            var logs = n.putArray("log10_p_values");
            for (double l : r.lnPValues()) { // p = 0 exactly (a cosine of 1) has no logarithm: null, with a note
                if (Double.isFinite(l)) {
                    logs.add(l / Math.log(10));
                } else {
                    logs.addNull();
                }
            }
            n.put("combined_p_value", r.combinedP());
            Json.number(n, "log10_combined_p_value", r.log10CombinedP(),
                    "a class's cosine is exactly 1, so its p-value and the combined one are exactly 0");
            Json.number(n, "alignment_residual", r.alignmentResidual());
            out.println(Json.write(n));
        } else {
            double meanCosine = java.util.Arrays.stream(r.cosines()).average().orElse(Double.NaN);
            if (Double.isInfinite(r.log10CombinedP())) {
                out.printf(Locale.ROOT, "%d classes, mean cosine %.4f; combined p = 0 (a class's cosine is exactly 1)%n",
                        r.cosines().length, meanCosine);
            } else {
                out.printf(Locale.ROOT, "%d classes, mean cosine %.4f; combined p = %.3g (log10 p = %.2f)%n", r.cosines().length,
                        meanCosine, r.combinedP(), r.log10CombinedP());
            }
        }
        out.flush();
        return 0;
    }

    /** The suspect CNN's final layer, aligned through held-out images' features when a marker is given. */
    private Detection.Result detectModel(double[][] u) {
        try (tracelens.cnn.Cnn suspectCnn = tracelens.cnn.CnnLoader.load(model, tracelens.cnn.Cnn.Arch.parse(arch));
                var root = tracelens.runtime.DjlRuntime.manager()) {
            double[][] w = tracelens.geometry.Points.toDouble(suspectCnn.headWeight());
            if (marker == null) {
                return Detection.detect(u, w);
            }
            tracelens.images.ImageFolder held = tracelens.images.ImageFolder.read(images);
            double[][] ft = tracelens.radioactive.ImageFeatures.of(root, suspectCnn, held.items(), tracelens.radioactive.ImageFeatures.of(model));
            try (tracelens.cnn.Cnn markerCnn = tracelens.cnn.CnnLoader.load(marker, tracelens.cnn.Cnn.Arch.parse(markerArch))) {
                double[][] fm = tracelens.radioactive.ImageFeatures.of(root, markerCnn, held.items(), tracelens.radioactive.ImageFeatures.of(marker));
                return Detection.detect(u, w, fm, ft, ridge);
            }
        }
    }

    /** A matrix from a CSV file (no header) or the first 2-D tensor of a safetensors file. */
    static double[][] read(Path file) {
        if (java.nio.file.Files.isDirectory(file)) { // a sharded activation store: its last stored layer, as embeddings are read
            try (tracelens.activations.ActivationFile f = tracelens.activations.ActivationFile.open(file)) {
                java.util.List<Integer> layers = f.layers();
                if (layers.isEmpty()) {
                    throw InvalidInputException.at(file, "holds no layer.<i> tensors");
                }
                return tracelens.geometry.Points.toDouble(f.pooled(layers.get(layers.size() - 1)));
            }
        }
        if (!file.getFileName().toString().endsWith(".safetensors")) {
            return PointsCsv.read(file);
        }
        try (SafeTensors st = SafeTensors.open(file)) {
            for (String name : st.tensors().keySet()) {
                long[] shape = st.info(name).shape();
                if (shape.length == 2) {
                    float[] v = st.floats(name);
                    double[][] out = new double[(int) shape[0]][(int) shape[1]];
                    for (int i = 0; i < out.length; i++) {
                        for (int j = 0; j < out[i].length; j++) {
                            out[i][j] = v[(int) (i * shape[1] + j)];
                        }
                    }
                    return out;
                }
            }
            throw InvalidInputException.at(file, "holds no 2-D tensor");
        }
    }
}
