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
            "the marker's feature space by least squares, so a differently trained network can be tested.",
            "Matrices: CSV (one row per class or image, no header) or safetensors (the first 2-D tensor)."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Example:", "  tracelens radioactive detect --carriers key.csv --classifier fc.csv --json"})
public final class RadioactiveDetectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--carriers", required = true, paramLabel = "FILE", description = "The secret carriers, C x d.")
    Path carriers;

    @Option(names = "--classifier", required = true, paramLabel = "FILE", description = "The suspect's classifier weights, C x d (or C x d_t with features).")
    Path classifier;

    @Option(names = "--reference-features", paramLabel = "FILE", description = "Marking network's features of held-out images, n x d.")
    Path reference;

    @Option(names = "--suspect-features", paramLabel = "FILE", description = "Suspect network's features of the same images, n x d_t.")
    Path suspect;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        if ((reference == null) != (suspect == null)) {
            throw new InvalidInputException("--reference-features and --suspect-features go together");
        }
        double[][] u = read(carriers);
        double[][] w = read(classifier);
        Detection.Result r = reference == null ? Detection.detect(u, w) : Detection.detect(u, w, read(reference), read(suspect));
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
            ObjectNode n = Json.result(spec);
            n.set("cosines", Json.MAPPER.valueToTree(r.cosines()));
            n.set("p_values", Json.MAPPER.valueToTree(r.pValues()));
            n.set("log10_p_values", Json.MAPPER.valueToTree(java.util.Arrays.stream(r.lnPValues()).map(l -> l / Math.log(10)).toArray()));
            n.put("combined_p_value", r.combinedP());
            n.put("log10_combined_p_value", r.log10CombinedP());
            Json.number(n, "alignment_residual", r.alignmentResidual());
            out.println(Json.write(n));
        } else {
            out.printf(Locale.ROOT, "%d classes, mean cosine %.4f; combined p = %.3g (log10 p = %.2f)%n", r.cosines().length,
                    java.util.Arrays.stream(r.cosines()).average().orElse(Double.NaN), r.combinedP(), r.log10CombinedP());
        }
        out.flush();
        return 0;
    }

    /** A matrix from a CSV file (no header) or the first 2-D tensor of a safetensors file. */
    static double[][] read(Path file) {
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
