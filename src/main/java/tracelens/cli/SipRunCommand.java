package tracelens.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.activations.LayerSelection;
import tracelens.corpus.Document;
import tracelens.corpus.PassageSampler;
import tracelens.corpus.SotuCorpus;
import tracelens.corpus.SourceCorpus;
import tracelens.corpus.TextColumns;
import tracelens.model.HiddenStateModel;
import tracelens.report.SipReport;
import tracelens.runtime.DjlRuntime;
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

    @Option(names = "--corpus", required = true, paramLabel = "sotu|PATH", description = "The labelled texts.")
    String corpus;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--words", defaultValue = "64", paramLabel = "N", description = "Words per passage; 0 = whole documents. (default: ${DEFAULT-VALUE})")
    int words;

    @Option(names = "--samples-per-source", defaultValue = "40", paramLabel = "N", description = "Passages per source, train and test together. (default: ${DEFAULT-VALUE})")
    int samplesPerSource;

    @Option(names = "--min-samples", defaultValue = "10", paramLabel = "N", description = "Sources with fewer passages are skipped and reported. (default: ${DEFAULT-VALUE})")
    int minSamples;

    @Option(names = "--max-sources", defaultValue = "100", paramLabel = "K", description = "Keep the first K sources (corpus order; folders sorted by name). (default: ${DEFAULT-VALUE})")
    int maxSources;

    @Option(names = "--split", defaultValue = "chunk", paramLabel = "chunk|document",
            description = "Hold out passages (chunk) or whole documents (document; every 4th of a source). (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--test-fraction", defaultValue = "0.3", paramLabel = "F", description = "Share of a source's passages held out. (default: ${DEFAULT-VALUE})")
    double testFraction;

    @Option(names = "--layers", defaultValue = "all", paramLabel = "all|LIST", description = "Hidden states to study. (default: ${DEFAULT-VALUE})")
    String layers;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Sampling, initialisation and shuffling seed. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--epochs", defaultValue = "200", paramLabel = "N",
            description = "Most training epochs; training stops after 20 epochs without a lower loss on a validation tenth. (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--no-mlp", description = "Train only the linear probe.")
    boolean noMlp;

    @Option(names = "--text-column", defaultValue = "text", paramLabel = "NAME", description = "Text field or column of a .jsonl/.csv/.tsv corpus. (default: ${DEFAULT-VALUE})")
    String textColumn;

    @Option(names = "--source-column", paramLabel = "NAME", description = "Source field or column (default: 'source', else 'label').")
    String sourceColumn;

    @Option(names = "--source-field", defaultValue = "president", paramLabel = "president|party|address",
            description = "What labels the built-in sotu corpus. (default: ${DEFAULT-VALUE})")
    String sourceField;

    @Option(names = "--max-length", defaultValue = "256", paramLabel = "N", description = "Longest token sequence. (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--cache", paramLabel = "DIR", description = "Cache folder for the built-in corpus (default: $TRACELENS_CACHE or ~/.cache/tracelens).")
    Path cache;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        runtime.apply();
        List<Document> docs = SourceCorpus.read(corpus, new TextColumns(textColumn, sourceColumn), SotuCorpus.parseField(sourceField),
                cache != null ? cache : DjlRuntime.cacheRoot());
        var sampling = new PassageSampler.Options(words, samplesPerSource, minSamples, maxSources, PassageSampler.Split.parse(split),
                testFraction, seed);
        PassageSampler.Sample sample = PassageSampler.sample(docs, sampling);
        try (HiddenStateModel m = modelOptions.load()) {
            SipRun.Result r = run(m, sample, LayerSelection.parse(layers, m.numLayers()), maxLength, seed, epochs, !noMlp, out,
                    spec.commandLine().getErr(), output);
            print(r, out, spec.commandLine().getOut(), output.json);
        }
        return 0;
    }

    /** Runs SIP and writes results.json and report.html; notes on stderr. Shared with the demo. */
    static SipRun.Result run(HiddenStateModel m, PassageSampler.Sample sample, int[] layers, int maxLength, long seed, int epochs,
            boolean mlp, Path out, PrintWriter err, OutputOptions output) {
        boolean talk = !output.quiet && !output.json;
        if (talk) {
            err.printf("SIP on %s: %d sources, %d samples%n", m.id(), sample.sources().size(), sample.passages().size());
            sample.skipped().forEach(s -> err.println("note: skipped source " + s));
            if (sample.duplicateTexts() > 0) {
                err.println("note: " + sample.duplicateTexts() + " samples repeat a text found under another source");
            }
        }
        var opts = new SipRun.Options(layers, maxLength, 32, seed, epochs, mlp, 3, Math.min(4, sample.sources().size()), 100);
        SipRun.Result r = SipRun.run(m, sample, opts, out, ProgressBar.of(err, output));
        SipReport.writeResults(r, out.resolve("results.json"));
        SipReport.page(r).write(out.resolve("report.html"));
        return r;
    }

    static void print(SipRun.Result r, Path out, PrintWriter stdout, boolean json) {
        if (json) {
            var node = Json.result("sip run");
            node.setAll(SipReport.results(r));
            node.put("report", out.resolve("report.html").toString());
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
