package tracelens.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.activations.ActivationExtractor;
import tracelens.activations.LayerSelection;
import tracelens.activations.Pooling;
import tracelens.corpus.TextInput;
import tracelens.error.InvalidInputException;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;

@Command(name = "activations",
        header = "Extract every layer's hidden states of a frozen model into a safetensors file.",
        description = {
            "Reads texts from a .txt (one per line), .jsonl (a text field, optional source/label), .csv or .tsv",
            "(with a header) file, runs the model and writes layer.<i> tensors: (N, C) when pooled, or (N, T, C)",
            "with mask and input_ids for --pool none. Sources, when the input has them, become a labels tensor",
            "with the names in the metadata field label_names. The file appears only when complete."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Examples:",
            "  tracelens activations --input texts.txt --out acts.safetensors",
            "  tracelens activations --model ./my-bert --input data.csv --text-column sentence --source-column label \\",
            "      --layers 0,3,-1 --pool cls --out acts.safetensors --json"})
public final class ActivationsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    InputOptions inputOptions;

    @Option(names = "--out", required = true, paramLabel = "FILE.safetensors|DIR",
            description = "Output file, or with --shard-rows the store's folder (replaced if it is a store).")
    Path out;

    @Option(names = "--shard-rows", paramLabel = "N",
            description = {"Write a sharded store instead of one file: a folder of activation files of N rows each and a",
                "manifest.json (row counts, SHA-256 of each shard, model, layers, label names, provenance), the format",
                "tracelens-spark gather writes; every command that reads activations reads it. Pooled rows only."})
    Long shardRows;

    @Option(names = "--layers", paramLabel = "all|LIST",
            description = "Hidden states to keep: all, or indices/ranges like 0,3-5,-1 (0 = embeddings, -1 = last). (default: all, or none when --sites is given)")
    String layers;

    @Option(names = "--sites", split = ",", paramLabel = "SITE[,SITE...]",
            description = "Activation sites to store as well, each under its own name, e.g. blocks.3.attn_out,blocks.3.mlp_out ('tracelens sites' lists a model's sites).")
    java.util.List<String> sites = new java.util.ArrayList<>();

    @Option(names = "--pool", defaultValue = "mean", paramLabel = "mean|cls|last|none",
            description = "Pooling over real tokens (padding excluded): mean, first (cls), last real token (last, the usual choice for decoders), or none to keep every token. (default: ${DEFAULT-VALUE})")
    String pool;

    @Option(names = "--max-length", paramLabel = "N",
            description = "Longest token sequence; longer texts are truncated and counted. (default: 256, or the model's context when shorter)")
    Integer maxLength;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N", description = "Texts per forward pass. (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--source-column", paramLabel = "NAME",
            description = "Field or column holding the source label (default: 'source', else 'label', if present).")
    String sourceColumn;

    @Option(names = "--resume", description = "Keep the work file of an interrupted run (OUT.partial, OUT.progress) and continue it when rerun with the same input and settings.")
    boolean resume;

    @Option(names = "--dtype", defaultValue = "f32", paramLabel = "f32|f16", description = "Stored precision. (default: ${DEFAULT-VALUE})")
    String dtype;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    /** --dtype of stored activations: f32 or f16 (bf16 is not written: the engine's bf16 is unsafe, runtime.md). */
    static DType storedType(String value) {
        return switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "f32" -> DType.F32;
            case "f16" -> DType.F16;
            default -> throw new InvalidInputException("--dtype must be f32 or f16, found '" + value + "'");
        };
    }

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        Pooling pooling = Pooling.parse(pool);
        DType type = storedType(dtype);
        if (shardRows != null) {
            if (shardRows < 1) {
                throw new InvalidInputException("--shard-rows must be at least 1, found " + shardRows);
            }
            if (pooling == Pooling.NONE) {
                throw new InvalidInputException("--shard-rows needs pooled rows (--pool mean, cls or last); --pool none writes a single file");
            }
            if (resume) {
                throw new InvalidInputException("--resume works on a single file; a sharded store is written whole or not at all");
            }
            OutputPaths.folder("--out", out);
            tracelens.activations.ActivationStore.checkReplaceable(out);
        } else {
            OutputPaths.file("--out", out);
            if (!out.getFileName().toString().endsWith(".safetensors")) {
                throw new InvalidInputException("--out " + out + ": the output file name must end in .safetensors");
            }
        }
        TextInput in = inputOptions.open(sourceColumn, spec.commandLine().getErr(), output);
        try (HiddenStateModel m = modelOptions.load()) {
            int[] selected = layers == null && !sites.isEmpty() ? new int[0] : LayerSelection.parse(layers == null ? "all" : layers, m.numLayers());
            int length = maxLength != null ? maxLength : Math.min(256, m.maxPositions());
            var opts = new ActivationExtractor.Options(selected, sites, pooling, length, batchSize, type);
            ActivationExtractor.Sharded store = shardRows != null
                    ? ActivationExtractor.extractStore(m, in, opts, out, Map.of(), ProgressBar.of(err, output), shardRows) : null;
            var summary = store != null ? store.summary()
                    : ActivationExtractor.extract(m, in, opts, out, Map.of(), ProgressBar.of(err, output), resume);
            if (summary.truncated() > 0 && !output.quiet) {
                err.printf("note: %d of %d texts were longer than --max-length %d and were truncated%n",
                        summary.truncated(), summary.texts(), length);
            }
            if (!output.quiet && tracelens.corpus.LabelOrder.mixed(summary.labelNames())) {
                err.println("note: the source column mixes numbers and names (" + String.join(", ", summary.labelNames())
                        + "); each distinct value is its own class, in order of first appearance");
            }
            PrintWriter stdout = spec.commandLine().getOut();
            if (output.json) {
                String provenance = store != null ? store.metadata().get("provenance")
                        : tracelens.model.SafeTensors.headerMetadata(out).get("provenance");
                ObjectNode r = Json.result("activations", tracelens.provenance.Provenance.fromJson(provenance, out.toString()));
                r.put("model", m.id());
                r.put("output", out.toString());
                if (store != null) {
                    r.put("shards", store.shards().size());
                }
                r.put("texts", summary.texts());
                r.put("tokens", summary.tokens());
                r.put("truncated", summary.truncated());
                r.put("hidden_size", summary.hiddenSize());
                r.put("pool", pooling.name().toLowerCase());
                r.put("width", summary.width());
                ArrayNode ls = r.putArray("layers");
                for (int l : selected) {
                    ls.add(l);
                }
                ArrayNode ss = r.putArray("sites");
                sites.forEach(ss::add);
                ArrayNode names = r.putArray("label_names");
                summary.labelNames().forEach(names::add);
                r.put("seconds", summary.seconds());
                r.put("tokens_per_second", summary.tokensPerSecond());
                stdout.println(Json.write(r));
            } else {
                stdout.printf("wrote %s: %d texts, %d tokens, layers %s%s of %s, %s pooling, %d labels (%.1f s, %.0f tokens/s)%n",
                        out, summary.texts(), summary.tokens(), LayerSelectionText.of(selected),
                        sites.isEmpty() ? "" : " and sites " + String.join(",", sites), m.id(),
                        pooling.name().toLowerCase(), summary.labelNames().size(), summary.seconds(), summary.tokensPerSecond());
            }
            stdout.flush();
        }
        return 0;
    }

    /** Compact display of a layer list ("0-6", "0,3,6"). */
    static final class LayerSelectionText {
        static String of(int[] layers) {
            boolean contiguous = true;
            for (int i = 1; i < layers.length; i++) {
                contiguous &= layers[i] == layers[i - 1] + 1;
            }
            if (contiguous && layers.length > 2) {
                return layers[0] + "-" + layers[layers.length - 1];
            }
            return java.util.Arrays.toString(layers).replaceAll("[\\[\\] ]", "");
        }
    }
}
