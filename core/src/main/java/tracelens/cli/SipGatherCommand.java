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
import tracelens.activations.LayerSelection;
import tracelens.activations.Window;
import tracelens.corpus.PassageSampler;
import tracelens.error.InvalidInputException;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.sip.SipGather;

@Command(name = "gather",
        header = "Run the frozen model once over a corpus and cache its hidden states for 'sip train'.",
        description = {"Samples passages as 'sip run' does, then stores the chosen layers' states in DIR/activations.safetensors",
            "(memory-mapped; token-level in f16 by default, with the mask, or mean-pooled) beside DIR/samples.jsonl. A killed",
            "run continues where it stopped when rerun; a finished cache of the same model, layers and samples is reused, and",
            "one of another model or layer set is an error unless --force."},
        mixinStandardHelpOptions = true, sortOptions = false,
        footer = {"", "Example:",
            "  tracelens sip gather --model ../shared/models/stories260K/stories260K.bin --corpus books/ --words 200 --out cache/",
            "  tracelens sip train --cache cache/ --input bigram"})
public final class SipGatherCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    CorpusOptions corpusOptions;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Cache folder.")
    Path out;

    @Option(names = "--layers", defaultValue = "all", paramLabel = "all|LIST", description = "Hidden states to store. (default: ${DEFAULT-VALUE})")
    String layers;

    @Option(names = "--pool", defaultValue = "none", paramLabel = "none|mean",
            description = "Token-level states (for n-gram identifiers) or their mean over real tokens. (default: ${DEFAULT-VALUE})")
    String pool;

    @Option(names = "--dtype", defaultValue = "f16", paramLabel = "f16|f32", description = "Stored precision. (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--max-length", defaultValue = "256", paramLabel = "N", description = "Tokens per sample (T). (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--window", defaultValue = "tracelens", paramLabel = "tracelens|original", description = SipRunCommand.WINDOW_HELP)
    String window;

    @Option(names = "--batch-size", defaultValue = "16", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--force", description = "Replace a cache built with another model, layer set or samples.")
    boolean force;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.folder("--out", out);
        boolean tokens = switch (pool.toLowerCase(Locale.ROOT)) {
            case "none" -> true;
            case "mean" -> false;
            default -> throw new InvalidInputException("--pool must be none or mean, found '" + pool + "'");
        };
        DType type = ActivationsCommand.storedType(dtype);
        Window.parse(window); // checked before any work
        if (maxLength < 2 || batchSize <= 0) {
            throw new InvalidInputException("--max-length must be at least 2 and --batch-size positive");
        }
        PassageSampler.Sample sample = corpusOptions.sample();
        PrintWriter err = spec.commandLine().getErr();
        if (!output.quiet) {
            sample.notes().forEach(n -> err.println("note: " + n));
        }
        SipGather.Result r;
        String model;
        try (HiddenStateModel m = modelOptions.load()) {
            model = m.id();
            r = SipGather.gather(m, sample, new SipGather.Options(LayerSelection.parse(layers, m.numLayers()), maxLength, batchSize,
                    tokens, type, force, corpusOptions.describe(), Window.parse(window)), out, ProgressBar.of(err, output));
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (output.json) {
            ObjectNode n = Json.result(spec);
            n.put("model", model).put("cache", out.toString()).put("activations", r.activations().toString()).put("reused", r.reused())
                    .put("samples", r.samples()).put("tokens", r.tokens()).put("seconds", r.seconds());
            r.sources().forEach(n.putArray("sources")::add);
            stdout.println(Json.write(n));
        } else {
            stdout.printf(Locale.ROOT, "%s %s: %d samples of %d sources%s%n", r.reused() ? "reused" : "wrote", r.activations(),
                    r.samples(), r.sources().size(), r.reused() ? "" : String.format(Locale.ROOT, ", %d tokens in %.1f s", r.tokens(), r.seconds()));
        }
        stdout.flush();
        return 0;
    }
}
