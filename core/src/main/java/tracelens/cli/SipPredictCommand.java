package tracelens.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.activations.ActivationExtractor;
import tracelens.activations.ActivationFile;
import tracelens.activations.Pooling;
import tracelens.corpus.TextInput;
import tracelens.error.InvalidInputException;
import tracelens.io.AtomicFile;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.runtime.DjlRuntime;
import tracelens.sip.Identifier;
import tracelens.sip.SavedIdentifier;
import tracelens.sip.SipRun;

@Command(name = "predict",
        header = "Name the source of each text with an identifier saved by 'sip run', without retraining.",
        description = {"Reads the identifier (DIR/identifiers/layer<L>-linear|mlp.safetensors of a sip run), runs its model",
            "over --input, mean-pools the identifier's layer as sip run did, and prints each text's most likely source,",
            "its probability (softmax over the sources) and the runner-up. The model must be the one the identifier was",
            "trained on (its weights' digest is checked)."},
        mixinStandardHelpOptions = true, sortOptions = false,
        footer = {"", "Example:",
            "  tracelens sip predict --identifier sotu-run/identifiers/layer3-linear.safetensors --input speeches.txt --json"})
public final class SipPredictCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--identifier", required = true, paramLabel = "FILE", description = "A saved identifier (.safetensors).")
    Path identifier;

    @Option(names = "--model", paramLabel = "minilm|PATH", description = "The model, when it is not where the identifier says it was.")
    String model;

    @Mixin
    InputOptions inputOptions;

    @Option(names = "--max-length", defaultValue = "256", paramLabel = "N", description = "Longest token sequence. (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--out", paramLabel = "FILE", description = "Write one JSON line per text (text index, source, probability, runner-up).")
    Path out;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws Exception {
        OutputPaths.file("--out", out);
        SavedIdentifier.Info info = SavedIdentifier.info(identifier);
        if (!SipRun.FEATURES.equals(info.features())) {
            throw InvalidInputException.at(identifier, "reads '" + info.features() + "'; sip predict applies identifiers of sip run ("
                    + SipRun.FEATURES + ")");
        }
        String id = model != null ? model : info.model();
        SavedIdentifier.checkModel(identifier, info, id);
        PrintWriter err = spec.commandLine().getErr();
        TextInput in = inputOptions.open(null, err, output);
        Path tmp = Files.createTempDirectory("tracelens-predict");
        List<String> texts = new ArrayList<>(); // the table's text column; --json needs no extra pass over the input
        if (!output.json) {
            in.forEach(r -> texts.add(r.text().length() > 60 ? r.text().substring(0, 57) + "..." : r.text()));
        }
        float[] probs;
        int n;
        int k = info.sources().size();
        try (HiddenStateModel m = ModelLoader.load(id)) {
            if (info.layer() < 0 || info.layer() > m.numLayers()) {
                throw InvalidInputException.at(identifier, "reads layer " + info.layer() + ", which " + id + " does not have");
            }
            Path acts = tmp.resolve("acts.safetensors");
            var opts = new ActivationExtractor.Options(new int[] {info.layer()}, Pooling.MEAN, Math.min(maxLength, m.maxPositions()), 32, DType.F32);
            ActivationExtractor.extract(m, in, opts, acts, Map.of(), ProgressBar.of(err, output), false);
            float[][] x;
            try (ActivationFile f = ActivationFile.open(acts)) {
                x = SipRun.layerNorm(f.pooled(info.layer()));
            }
            if (x.length > 0 && x[0].length != info.inputs()) {
                throw InvalidInputException.at(identifier, "reads " + info.inputs() + " values a text, the layer has " + x[0].length);
            }
            n = x.length;
            float[] flat = new float[n * x[0].length];
            for (int i = 0; i < n; i++) {
                System.arraycopy(x[i], 0, flat, i * x[i].length, x[i].length);
            }
            try (NDManager mgr = DjlRuntime.manager(); Identifier net = SavedIdentifier.load(mgr, identifier)) {
                NDArray logits = net.forward(mgr.create(flat, new Shape(n, x[0].length)));
                probs = logits.softmax(1).toFloatArray();
            }
        } finally {
            tracelens.io.AtomicFolder.deleteTree(tmp);
        }
        ObjectNode json = Json.result(spec);
        json.put("identifier", identifier.toString()).put("model", id).put("layer", info.layer());
        ArrayNode rows = json.putArray("predictions");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int best = 0;
            int second = k > 1 ? 1 : 0;
            for (int c = 0; c < k; c++) {
                if (probs[i * k + c] > probs[i * k + best]) {
                    second = best;
                    best = c;
                } else if (c != best && probs[i * k + c] > probs[i * k + second]) {
                    second = c;
                }
            }
            ObjectNode r = rows.addObject().put("index", i).put("source", info.sources().get(best)).put("probability", probs[i * k + best])
                    .put("runner_up", info.sources().get(second)).put("runner_up_probability", probs[i * k + second]);
            lines.append(Json.write(r)).append('\n');
        }
        if (out != null) {
            AtomicFile.writeString(out, lines.toString());
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (output.json) {
            stdout.println(Json.write(json));
        } else {
            for (int i = 0; i < n; i++) {
                var r = rows.get(i);
                stdout.printf(Locale.ROOT, "%-30s %.3f  (then %s %.3f)  %s%n", r.get("source").asText(), r.get("probability").asDouble(),
                        r.get("runner_up").asText(), r.get("runner_up_probability").asDouble(), texts.get(i));
            }
        }
        stdout.flush();
        return 0;
    }
}
