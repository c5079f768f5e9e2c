package tracelens.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.error.InvalidInputException;
import tracelens.io.AtomicFile;
import tracelens.sip.IdentifierTrainer;
import tracelens.sip.SipTrain;

@Command(name = "train",
        header = "Train source identifiers on a 'sip gather' cache, layer by layer.",
        description = {"Inputs: the sentence vector (mean over real tokens, through a learnable LayerNorm) or token-level",
            "unigram/bigram/trigram rows read batch by batch from the memory-mapped cache (never all in the heap). Trains the",
            "linear probe and an MLP with Adam, the SIP schedule (linear decay after one warm-up step), clipping at 5 and",
            "early stopping on a validation tenth; reports held-out accuracy (precision@1 for multi-label), top-5 and macro-F1.",
            "--split document keeps every sample's rows on one side; token-row draws rows as the original code did (numpy's",
            "legacy RandomState permutation, index for index), which leaks neighbouring tokens across the split."},
        mixinStandardHelpOptions = true, sortOptions = false,
        footer = {"", "MLP presets: tiny [128], small [256,128], medium [512,256,128], large [1024,512,256,128], stage3 [256]x5.",
            "", "Example:", "  tracelens sip train --cache cache/ --input bigram --hidden small --epochs 10 --json"})
public final class SipTrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--cache", required = true, paramLabel = "DIR",
            description = "A folder written by 'sip gather', or a sharded activation store with labels (with --split token-row).")
    Path cache;

    @Option(names = "--layers", paramLabel = "LIST", description = "Layers to train on (default: every cached layer).")
    String layers;

    @Option(names = "--input", paramLabel = "sentence|unigram|bigram|trigram",
            description = "Identifier input (default: bigram for a token-level cache, sentence for a pooled one).")
    String input;

    @Option(names = "--probe", defaultValue = "both", paramLabel = "both|linear|mlp", description = "(default: ${DEFAULT-VALUE})")
    String probe;

    @Option(names = "--hidden", defaultValue = "stage3", paramLabel = "PRESET|LIST", description = "MLP hidden sizes. (default: ${DEFAULT-VALUE})")
    String hidden;

    @Option(names = "--layernorm", defaultValue = "auto", paramLabel = "auto|on|off",
            description = "Learnable LayerNorm on the input; auto = on for sentence inputs. (default: ${DEFAULT-VALUE})")
    String layerNorm;

    @Option(names = "--loss", defaultValue = "bce", paramLabel = "bce|ce|hash|multilabel",
            description = {"BCE over one-hot, softmax CE, BCE over binary-hash codes, or multi-label BCE (targets: every source",
                "an identical text occurs under, as in Extreme Classification corpora). (default: ${DEFAULT-VALUE})"})
    String loss;

    @Option(names = "--epochs", defaultValue = "10", paramLabel = "N",
            description = "Most epochs (exactly this many with --protocol original). (default: ${DEFAULT-VALUE})")
    int epochs;

    @Mixin
    TrainingProtocolOptions training;

    @Option(names = "--batch-size", defaultValue = "64", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--lr", defaultValue = "1e-3", paramLabel = "LR", description = "Adam learning rate. (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--patience", defaultValue = "20", paramLabel = "N",
            description = "Stop after N epochs without a lower validation loss. (default: ${DEFAULT-VALUE})")
    int patience;

    @Option(names = "--split", defaultValue = "document", paramLabel = "document|token-row",
            description = "The samples' own split (set at gather time), or the original code's row draw. (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--train-fraction", defaultValue = "0.7", paramLabel = "F", description = "Training share of rows for token-row. (default: ${DEFAULT-VALUE})")
    double trainFraction;

    @Option(names = "--seed-data", defaultValue = "0", paramLabel = "S", description = "Seed of the token-row draw. (default: ${DEFAULT-VALUE})")
    long seedData;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Initialisation and shuffling. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--include-pad-rows", description = "Keep n-gram rows over padding (the original code's quirk).")
    boolean includePadRows;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the JSON result to FILE (atomically).")
    Path outFile;

    @Option(names = "--identifiers", paramLabel = "DIR", description = "Save every trained identifier in DIR as"
            + " layer<L>-linear|mlp.safetensors (parameters, source names, model, layer, the features it reads).")
    Path identifiers;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.file("--out", outFile);
        OutputPaths.folder("--identifiers", identifiers);
        String in = input;
        if (in == null) {
            in = pooledCache() ? "sentence" : "bigram";
        }
        SipTrain.Input inp = Choice.of(SipTrain.Input.class, "--input", in);
        boolean linear = !probe.equalsIgnoreCase("mlp");
        boolean mlp = !probe.equalsIgnoreCase("linear");
        if (!probe.matches("(?i)both|linear|mlp")) {
            throw new InvalidInputException("--probe must be both, linear or mlp, found '" + probe + "'");
        }
        boolean ln = switch (layerNorm.toLowerCase(Locale.ROOT)) {
            case "auto" -> inp == SipTrain.Input.SENTENCE;
            case "on" -> true;
            case "off" -> false;
            default -> throw new InvalidInputException("--layernorm must be auto, on or off, found '" + layerNorm + "'");
        };
        SipTrain.SplitMode mode = Choice.of(SipTrain.SplitMode.class, "--split", split);
        if (epochs <= 0 || batchSize <= 0 || !(lr > 0) || patience <= 0 || !(trainFraction > 0 && trainFraction < 1)) {
            throw new InvalidInputException("--epochs, --batch-size, --lr and --patience must be positive, --train-fraction in (0, 1)");
        }
        training.validate();
        int[] layerList = layers == null ? null : parseList(layers, "--layers");
        SipTrain.Options o = new SipTrain.Options(layerList, inp, linear, mlp, hiddenSizes(hidden), ln, IdentifierTrainer.Loss.parse(loss),
                epochs, batchSize, lr, patience, mode, trainFraction, seedData, seed, includePadRows, training::apply);
        SipTrain.Result r = SipTrain.train(cache, o, ProgressBar.of(spec.commandLine().getErr(), output), identifiers);
        ObjectNode n = Json.result(spec);
        n.put("model", r.model()).put("cache", cache.toString()).put("input", inp.name().toLowerCase(Locale.ROOT))
                .put("split", split.toLowerCase(Locale.ROOT)).put("loss", loss.toLowerCase(Locale.ROOT)).put("layernorm", ln)
                .put("hidden", Arrays.toString(o.hidden())).put("samples", r.samples()).put("chance_accuracy", r.chance());
        java.util.Map<String, String> protocol = new java.util.LinkedHashMap<>();
        training.record(protocol);
        protocol.forEach(n::put);
        r.sources().forEach(n.putArray("sources")::add);
        ArrayNode ls = n.putArray("layers");
        for (SipTrain.LayerResult l : r.layers()) {
            ObjectNode x = ls.addObject().put("layer", l.layer());
            // the same interval keys as sip run's: Wilson for accuracies, the bootstrap for macro-F1
            for (var acc : java.util.List.of(java.util.Map.entry("linear_accuracy", l.linearAccuracy()),
                    java.util.Map.entry("mlp_accuracy", l.mlpAccuracy()), java.util.Map.entry("top5_accuracy", l.top5Accuracy()))) {
                Json.number(x, acc.getKey(), acc.getValue());
                tracelens.results.Results.interval(x, acc.getKey(), tracelens.sip.Metrics.wilson(acc.getValue(), l.testRows()));
            }
            Json.number(x, "macro_f1", l.macroF1());
            tracelens.results.Results.interval(x, "macro_f1", new double[] {l.macroF1Low(), l.macroF1High()});
            x.put("train_rows", l.trainRows()).put("test_rows", l.testRows()).put("linear_epochs", l.linearEpochs()).put("mlp_epochs", l.mlpEpochs());
        }
        String text = Json.write(n);
        if (outFile != null) {
            AtomicFile.writeString(outFile, text + "\n");
            tracelens.results.TidyCsv.write(n, tracelens.results.TidyCsv.besideJson(outFile));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
            out.println(text);
        } else {
            out.printf(Locale.ROOT, "%s, %d sources (chance %.3f), %s input, %s split%n", r.model(), r.sources().size(), r.chance(),
                    inp.name().toLowerCase(Locale.ROOT), split);
            out.println("layer  linear  MLP    top-5  macro-F1  train rows  test rows");
            for (SipTrain.LayerResult l : r.layers()) {
                out.printf(Locale.ROOT, "%5d  %s  %s  %s  %s     %10d  %9d%n", l.layer(), f(l.linearAccuracy()), f(l.mlpAccuracy()),
                        f(l.top5Accuracy()), f(l.macroF1()), l.trainRows(), l.testRows());
            }
        }
        out.flush();
        return 0;
    }

    private boolean pooledCache() {
        Path acts = tracelens.sip.SipTrain.activations(cache);
        if (!java.nio.file.Files.exists(acts)) {
            return false; // SipTrain reports the missing cache
        }
        try (tracelens.activations.ActivationFile file = tracelens.activations.ActivationFile.open(acts)) {
            return !"none".equals(file.metadata("pool")); // mean, cls or last: one row per text
        }
    }

    private static String f(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.3f", v) : "  –  ";
    }


    static int[] hiddenSizes(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "linear" -> new int[0];
            case "tiny" -> new int[] {128};
            case "small" -> new int[] {256, 128};
            case "medium" -> new int[] {512, 256, 128};
            case "large" -> new int[] {1024, 512, 256, 128};
            case "stage3" -> new int[] {256, 256, 256, 256, 256};
            default -> parseList(s, "--hidden");
        };
    }

    static int[] parseList(String s, String option) {
        try {
            int[] v = Arrays.stream(s.split(",")).map(String::strip).mapToInt(Integer::parseInt).toArray();
            for (int x : v) {
                if (x < 0) {
                    throw new NumberFormatException();
                }
            }
            return v;
        } catch (NumberFormatException e) {
            throw new InvalidInputException(option + " must be a comma-separated list of non-negative integers, found '" + s + "'");
        }
    }
}
