package tracelens.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
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
import tracelens.error.InvalidInputException;
import tracelens.losses.CrossEntropy;
import tracelens.radioactive.ClassifierHead;
import tracelens.radioactive.Embeddings;
import tracelens.runtime.DjlRuntime;
import tracelens.train.Adam;
import tracelens.train.LrSchedule;
import tracelens.train.TrainingLoop;

@Command(name = "train-head",
        header = "Train a linear or MLP classifier on embeddings, as a suspect would (to test detection end to end).",
        description = {"Softmax regression (--hidden 0) or an MLP with one ReLU hidden layer, trained with Adam and",
            "cross-entropy through the shared training loop; writes the head (safetensors) for 'radioactive detect --head'."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Example:", "  tracelens radioactive train-head --embeddings sst2-marked.safetensors --hidden 256 --out mlp.safetensors"})
public final class RadioactiveTrainHeadCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--embeddings", required = true, paramLabel = "FILE", description = "Training vectors (activation file with labels).")
    Path embeddings;

    @Option(names = "--layer", paramLabel = "N", description = "Which stored layer (default: the last).")
    Integer layer;

    @Option(names = "--test", paramLabel = "FILE", description = "Held-out vectors for the test accuracy.")
    Path test;

    @Option(names = "--hidden", defaultValue = "0", paramLabel = "N", description = "Hidden units; 0 trains a linear head. (default: ${DEFAULT-VALUE})")
    int hidden;

    @Option(names = "--epochs", defaultValue = "20", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "64", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--lr", defaultValue = "1e-3", paramLabel = "LR", description = "(default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Initialisation and shuffling. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The trained head (.safetensors).")
    Path out;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.file("--out", out);
        if (hidden < 0) {
            throw InvalidInputException.field("hidden", " must be at least 0");
        }
        Embeddings train = Embeddings.read(embeddings, layer);
        Embeddings held = test == null ? null : Embeddings.read(test, layer);
        if (held != null && held.dimension() != train.dimension()) {
            throw InvalidInputException.at(test, "has " + held.dimension() + " dimensions, the training vectors " + train.dimension());
        }
        int d = train.dimension();
        int k = train.classes();
        PrintWriter err = spec.commandLine().getErr();
        ObjectNode json = Json.result(spec);
        Random r = new Random(seed);
        try (NDManager m = DjlRuntime.manager(); ClassifierHead head = ClassifierHead.create(m, d, hidden, k, r)) {
            NDArray all = m.create(tracelens.geometry.Points.flatten(train.x()), new Shape(train.x().length, d));
            int[] y = train.y();
            Adam adam = new Adam(m, head.parameters().trainable(), 0, 5.0);
            TrainingLoop.Settings s = new TrainingLoop.Settings(epochs, batchSize, lr, LrSchedule.constant(), 0, true, false, false,
                    "train-head", List.of("loss"), "lower --lr");
            int[] rows = new int[y.length];
            Arrays.setAll(rows, i -> i);
            TrainingLoop.Result res = TrainingLoop.run(m, head.parameters(), adam, rows, r, s, (scope, idx) -> {
                NDArray x = all.get(scope.create(Arrays.stream(idx).asLongStream().toArray()));
                return List.of(CrossEntropy.mean(head.forward(x), Arrays.stream(idx).map(i -> y[i]).toArray(), 0f));
            }, null, new TrainingLoop.Listeners(TrainingLoop.EpochStart.NONE, v -> {}, e -> {}, null), ProgressBar.of(err, output));
            Json.number(json, "train_accuracy", accuracy(m, head, train));
            if (held != null) {
                Json.number(json, "test_accuracy", accuracy(m, head, held));
            }
            Json.number(json, "final_loss", res.epochs().get(res.epochs().size() - 1).meanTerms()[0]);
            head.save(out, Map.of("provenance", tracelens.results.Results.write(json.get("provenance")), "layer", String.valueOf(train.layer())));
        }
        json.put("head", hidden == 0 ? "linear" : "mlp");
        json.put("hidden", hidden);
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println(output.json ? Json.write(json) : String.format(Locale.ROOT, "wrote %s: train accuracy %.4f%s", out,
                json.get("train_accuracy").asDouble(), held == null ? "" : String.format(Locale.ROOT, ", test accuracy %.4f",
                        json.get("test_accuracy").asDouble())));
        stdout.flush();
        return 0;
    }

    private static double accuracy(NDManager m, ClassifierHead head, Embeddings e) {
        float[] z = head.logits(m, e.x());
        return tracelens.sip.Metrics.accuracy(z, e.y(), z.length / e.x().length);
    }
}
