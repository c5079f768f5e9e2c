package tracelens.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.error.InvalidInputException;
import tracelens.radioactive.Carriers;
import tracelens.radioactive.EmbeddingMarker;
import tracelens.radioactive.Embeddings;

@Command(name = "mark-embeddings",
        header = "Mark a fraction of a set of published embeddings (e.g. MiniLM vectors of a labelled corpus).",
        description = {"Draws one random unit carrier per class (the secret key) and moves a seeded fraction q of the vectors",
            "along their class's carrier: e~ = e + alpha |e| u_y (radioactive.md §6). Input and output are activation files",
            "('tracelens activations' with a label column); the output keeps the layer and labels and opens wherever",
            "activations do. The key goes to --key, beside the output by default."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Example:", "  tracelens radioactive mark-embeddings --embeddings sst2.safetensors --fraction 0.05 --alpha 0.1 --seed 1 --out sst2-marked.safetensors"})
public final class RadioactiveMarkEmbeddingsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--embeddings", required = true, paramLabel = "FILE", description = "Pooled activations with labels.")
    Path embeddings;

    @Option(names = "--layer", paramLabel = "N", description = "Which stored layer (default: the last).")
    Integer layer;

    @Option(names = "--fraction", required = true, paramLabel = "Q", description = "Share of the vectors to mark, in (0, 1].")
    double fraction;

    @Option(names = "--alpha", defaultValue = "0.1", paramLabel = "A", description = "Mark strength relative to the vector's norm. (default: ${DEFAULT-VALUE})")
    double alpha;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Draws the carriers and the marked rows. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The marked activation file (must not exist).")
    Path out;

    @Option(names = "--key", paramLabel = "FILE", description = "Where the carriers go (default: OUT with .key.safetensors).")
    Path key;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.file("--out", out);
        if (Files.exists(out)) {
            throw InvalidInputException.at(out, "already exists");
        }
        Path keyFile = key != null ? key : out.resolveSibling(out.getFileName().toString().replaceAll("\\.safetensors$", "") + ".key.safetensors");
        if (Files.exists(keyFile)) {
            throw InvalidInputException.at(keyFile, "already exists; a key is never overwritten");
        }
        Embeddings e = Embeddings.read(embeddings, layer);
        Carriers carriers = Carriers.random(e.classes(), e.dimension(), seed);
        EmbeddingMarker.Result r = EmbeddingMarker.mark(e.x(), e.y(), carriers, fraction, alpha, seed);
        Map<String, String> extra = new LinkedHashMap<>();
        extra.put("radioactive", "marked: fraction " + fraction + ", alpha " + alpha);
        Path keyTmp = keyFile.resolveSibling("." + keyFile.getFileName() + ".partial");
        try {
            e.withRows(r.rows()).write(out, extra);
            Map<String, String> keyMeta = new LinkedHashMap<>();
            keyMeta.put("marked_file", out.toAbsolutePath().toString());
            keyMeta.put("marked_rows", java.util.Arrays.toString(r.marked()));
            keyMeta.put("alpha", Double.toString(alpha));
            carriers.write(keyTmp, keyMeta);
            Files.move(keyTmp, keyFile, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException | RuntimeException ex) {
            try {
                Files.deleteIfExists(out);
                Files.deleteIfExists(keyTmp);
            } catch (java.io.IOException ignored) {
                // the original error matters more
            }
            if (ex instanceof RuntimeException re) {
                throw re;
            }
            throw new java.io.UncheckedIOException((java.io.IOException) ex);
        }
        ObjectNode json = Json.result(spec);
        json.put("rows", e.x().length);
        json.put("marked", r.marked().length);
        json.put("classes", e.classes());
        json.put("dimension", e.dimension());
        json.put("layer", e.layer());
        json.put("key", keyFile.toString());
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println(output.json ? Json.write(json) : String.format(Locale.ROOT, "marked %d of %d vectors (alpha %.3g); wrote %s and the key %s",
                r.marked().length, e.x().length, alpha, out, keyFile));
        stdout.flush();
        return 0;
    }
}
