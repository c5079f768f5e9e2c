package tracelens.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
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
import tracelens.error.InvalidInputException;
import tracelens.lm.LmFineTuner;
import tracelens.model.decoder.Decoder;
import tracelens.model.decoder.SavedDecoder;
import tracelens.runtime.DjlRuntime;
import tracelens.train.TrainingLoop;

@Command(name = "finetune-lm",
        header = "Fine-tune a decoder on texts (causal language modelling) and save it.",
        description = {"Every parameter learns the next-token cross-entropy of the texts through the shared training loop",
            "(Adam, clipping 1, 10% linear warm-up then linear decay). Texts: a .txt file (one per line) or JSON lines",
            "with a 'text' field ('prompt' + 'text' when both are there, as 'generate --out' writes them). Writes one",
            "safetensors file that --model accepts wherever a decoder is expected."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Example:", "  tracelens finetune-lm --model ../shared/models/stories260K/stories260K.bin --data stories.jsonl --epochs 2 --out tuned.safetensors"})
public final class FinetuneLmCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--data", required = true, paramLabel = "FILE", description = "Training texts (.txt or .jsonl).")
    Path data;

    @Option(names = "--epochs", defaultValue = "1", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "16", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--lr", defaultValue = "5e-4", paramLabel = "LR", description = "Peak learning rate. (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--max-length", defaultValue = "256", paramLabel = "N", description = "Tokens kept per text. (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Batch order. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "The fine-tuned model (.safetensors).")
    Path out;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws IOException {
        OutputPaths.file("--out", out);
        if (!out.getFileName().toString().endsWith(".safetensors")) {
            throw InvalidInputException.field("out", " must end in .safetensors, found " + out);
        }
        List<String> texts = readTexts(data);
        PrintWriter err = spec.commandLine().getErr();
        ObjectNode json = Json.result(spec);
        LmFineTuner.Result r;
        try (Decoder model = modelOptions.loadDecoder("finetune-lm"); var m = DjlRuntime.manager()) {
            if (model.streamed()) {
                throw new InvalidInputException("finetune-lm trains every block, so " + model.id() + " must be resident: its float32"
                        + " weights (" + tracelens.model.MemoryBudget.human(4 * model.parameterCount()) + ") exceed --max-memory");
            }
            r = LmFineTuner.train(m, model, texts, new LmFineTuner.Options(epochs, batchSize, lr, maxLength, seed), ProgressBar.of(err, output),
                    line -> { if (!output.quiet) { err.println(line); } });
            SavedDecoder.save(model, out, modelOptions.tokenizerFile(), Map.of("base_model", modelOptions.model,
                    "provenance", tracelens.results.Results.write(json.get("provenance"))));
        }
        json.put("texts", texts.size());
        json.put("tokens", r.tokens());
        ArrayNode hist = json.putArray("history");
        for (TrainingLoop.Epoch e : r.epochs()) {
            hist.addObject().put("epoch", e.epoch()).put("loss", e.meanTerms()[0]).put("seconds", e.seconds());
        }
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println(output.json ? Json.write(json) : String.format(Locale.ROOT, "wrote %s: %d texts, %d tokens, final loss %.4f", out,
                texts.size(), r.tokens(), r.epochs().get(r.epochs().size() - 1).meanTerms()[0]));
        stdout.flush();
        return 0;
    }

    /** Lines of a .txt file, or per JSON line 'prompt' + 'text' (or 'text'). */
    static List<String> readTexts(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw InvalidInputException.at(file, "not found");
        }
        List<String> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(file);
        boolean jsonl = file.getFileName().toString().endsWith(".jsonl");
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            if (!jsonl) {
                out.add(line);
                continue;
            }
            JsonNode n;
            try {
                n = Json.MAPPER.readTree(line);
            } catch (IOException e) {
                throw InvalidInputException.at(file, "line " + (i + 1), "not a JSON object: " + e.getMessage().split("\n")[0]);
            }
            if (n == null || !n.has("text")) {
                throw InvalidInputException.at(file, "line " + (i + 1), "has no 'text' field");
            }
            out.add((n.has("prompt") ? n.get("prompt").asText() : "") + n.get("text").asText());
        }
        if (out.isEmpty()) {
            throw InvalidInputException.at(file, "holds no text");
        }
        return out;
    }
}
