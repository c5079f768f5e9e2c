package tracelens.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.activations.LayerSelection;
import tracelens.activations.Window;
import tracelens.corpus.PassageSampler;
import tracelens.model.HiddenStateModel;
import tracelens.report.SipReport;
import tracelens.sip.IdentifierTrainer;
import tracelens.sip.SipRun;

@Command(name = "run",
        header = "The whole SIP pipeline: sample, extract every layer once, train identifiers, measure, report.",
        description = {
            "Cuts each source's documents into passages of --words words, splits them into training and held-out",
            "samples (by chunk, or by whole document), extracts the model's mean-pooled hidden states of every layer",
            "once, and per layer trains a linear and an MLP identifier, then scores held-out accuracy, top-5, macro-F1",
            "and the silhouette of the sources, with 2-D PCA maps. Writes DIR/report.html, DIR/results.json,",
            "DIR/samples.jsonl and DIR/activations.safetensors (reused when rerun on the same samples)."},
        mixinStandardHelpOptions = true, sortOptions = false,
        footer = {"", "A corpus is 'sotu' (built in), a folder of .txt files (one source per file) or of sub-folders",
            "(one source per sub-folder), or a .jsonl/.csv/.tsv file with text and source columns.", "",
            "Examples:",
            "  tracelens sip run --corpus sotu --split document --out sip-sotu",
            "  tracelens sip run --model ./pythia-70m --corpus books/ --words 32 --samples-per-source 200 --out sip-books"})
public final class SipRunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    CorpusOptions corpusOptions;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--layers", defaultValue = "all", paramLabel = "all|LIST", description = "Hidden states to study. (default: ${DEFAULT-VALUE})")
    String layers;

    @Mixin
    IdentifierOptions identifiers;

    @Mixin
    TrainingProtocolOptions training;

    @Option(names = "--map", defaultValue = "pca", paramLabel = "pca|tsne",
            description = "2-D maps by PCA or by exact t-SNE (perplexity 30, 500 iterations). (default: ${DEFAULT-VALUE})")
    String map;

    @Option(names = "--loss", defaultValue = "bce", paramLabel = "bce|ce|hash",
            description = "BCE over one-hot (stable for many sources), softmax cross-entropy, or BCE over binary-hash codes of the sources. (default: ${DEFAULT-VALUE})")
    String loss;

    @Option(names = "--max-length", defaultValue = "256", paramLabel = "N", description = "Longest token sequence. (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--window", defaultValue = "tracelens", paramLabel = "tracelens|original", description = WINDOW_HELP)
    String window;

    /** --window's help, shared with sip gather. */
    static final String WINDOW_HELP = "How a passage becomes the model's input: tracelens (special tokens, cut to --max-length, padded per"
            + " batch) or original (the SIP code: the first --max-length words, no special tokens, at most --max-length - 1 tokens,"
            + " left-padded to --max-length, positions over the padding). (default: ${DEFAULT-VALUE})";

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.folder("--out", out);
        training.validate();
        Window.parse(window); // checked before any work
        identifiers.hiddenSizes();
        PassageSampler.Sample sample = corpusOptions.heldOutSample();
        try (HiddenStateModel m = modelOptions.load()) {
            var training = new SipRun.Training(this.training.protocol(), identifiers.hiddenSizes(), this.training::apply);
            var sampling = new java.util.LinkedHashMap<>(corpusOptions.describe());
            this.training.record(sampling);
            sampling.put("hidden", java.util.Arrays.toString(training.mlpHidden()));
            Ran r = run(m, sample, LayerSelection.parse(layers, m.numLayers()), maxLength, corpusOptions.seed, identifiers.epochs(this.training),
                    identifiers.mlp(), IdentifierTrainer.Loss.parse(loss), SipRun.MapMethod.parse(map), training, Window.parse(window), out, sampling,
                    spec.commandLine().getErr(), output);
            print(r, out, spec.commandLine().getOut(), output.json, spec);
        }
        return 0;
    }

    /** A finished run and its results as written to results.json (provenance included). */
    record Ran(SipRun.Result result, com.fasterxml.jackson.databind.node.ObjectNode results) {}

    /** Runs SIP and writes results.json, results.csv and report.html; notes on stderr. Shared with the demo. */
    static Ran run(HiddenStateModel m, PassageSampler.Sample sample, int[] layers, int maxLength, long seed, int epochs,
            boolean mlp, IdentifierTrainer.Loss loss, SipRun.MapMethod map, Path out, java.util.Map<String, String> sampling,
            PrintWriter err, OutputOptions output) {
        return run(m, sample, layers, maxLength, seed, epochs, mlp, loss, map, SipRun.Training.DEFAULT, Window.TRACELENS, out, sampling,
                err, output);
    }

    static Ran run(HiddenStateModel m, PassageSampler.Sample sample, int[] layers, int maxLength, long seed, int epochs,
            boolean mlp, IdentifierTrainer.Loss loss, SipRun.MapMethod map, SipRun.Training training, Window window, Path out,
            java.util.Map<String, String> sampling, PrintWriter err, OutputOptions output) {
        boolean talk = !output.quiet && !output.json;
        if (talk) {
            err.printf("SIP on %s: %d sources, %d samples%n", m.id(), sample.sources().size(), sample.passages().size());
            sample.notes().forEach(n -> err.println("note: " + n));
        }
        var opts = new SipRun.Options(layers, maxLength, 32, seed, epochs, mlp, 3, Math.min(4, sample.sources().size()), 100, loss, map,
                training, window);
        SipRun.Result r = SipRun.run(m, sample, opts, out, ProgressBar.of(err, output));
        java.util.Map<String, String> settings = new java.util.LinkedHashMap<>(sampling);
        settings.put("layers", java.util.Arrays.toString(layers));
        settings.put("max_length", String.valueOf(maxLength));
        settings.put("window", window.name().toLowerCase(Locale.ROOT));
        settings.put("epochs", String.valueOf(epochs));
        settings.put("mlp", String.valueOf(mlp));
        settings.put("loss", loss.name().toLowerCase(Locale.ROOT));
        settings.put("map", map.name().toLowerCase(Locale.ROOT));
        // the samples as drawn (their file's digest) stand for the corpus, which may be a built-in fetched into a cache
        var provenance = tracelens.provenance.Provenance.of("sip run", m.id(), java.util.List.of(out.resolve("samples.jsonl")),
                settings, seed);
        var results = SipReport.results(r, provenance); // built once: the JSON, the table, the page and --json share it
        SipReport.writeResults(results, out.resolve("results.json"));
        tracelens.results.TidyCsv.write(results, out.resolve("results.csv"));
        SipReport.page(java.util.List.of(results)).write(out.resolve("report.html"));
        return new Ran(r, results);
    }

    static void print(Ran ran, Path out, PrintWriter stdout, boolean json, CommandSpec spec) {
        SipRun.Result r = ran.result();
        if (json) {
            var node = Json.result(spec);
            node.setAll(ran.results().deepCopy());
            node.put("report", out.resolve("report.html").toString());
            if (node.get("maps") instanceof com.fasterxml.jackson.databind.node.ObjectNode maps) { // big arrays stay in the file
                maps.remove("points");
                maps.put("points_in", out.resolve("results.json").toString());
            }
            stdout.println(Json.write(node));
        } else {
            stdout.printf(Locale.ROOT, "%nSource identification on %s: %d sources, %d training / %d held-out samples, chance %.3f%n",
                    r.model(), r.sources().size(), r.trainSamples(), r.testSamples(), r.chance());
            if (r.perplexity() != null) {
                stdout.printf(Locale.ROOT, "perplexity of the model on the samples: %.3f%n", r.perplexity());
            }
            stdout.println("layer  linear  MLP    centroid  top-5  macro-F1  silhouette");
            for (SipRun.LayerResult l : r.layers()) {
                stdout.printf(Locale.ROOT, "%5d  %.3f  %s  %.3f     %.3f  %.3f     %+.3f%n", l.layer(), l.linearAccuracy(),
                        Double.isFinite(l.mlpAccuracy()) ? String.format(Locale.ROOT, "%.3f", l.mlpAccuracy()) : "  –  ",
                        l.nearestCentroidAccuracy(), l.top5Accuracy(), l.macroF1(), l.silhouette());
            }
            stdout.printf("wrote %s and %s%n", out.resolve("report.html"), out.resolve("results.json"));
        }
        stdout.flush();
    }
}
