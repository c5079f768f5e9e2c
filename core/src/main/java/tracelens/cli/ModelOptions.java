package tracelens.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import tracelens.error.InvalidInputException;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.model.decoder.Decoder;

/** Which model to load: shared by every command that runs one. */
public final class ModelOptions {
    @Option(names = "--model", paramLabel = "minilm|PATH", defaultValue = "minilm",
            description = {"Built-in name, a Hugging Face folder (config.json, *.safetensors or pytorch_model.bin, tokenizer.json;",
                "bert, llama, mistral, qwen2, gpt_neox, gpt2), or a llama2.c checkpoint (.bin). (default: ${DEFAULT-VALUE})"})
    String model;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "Tokenizer file: tokenizer.json, or llama2.c's tokenizer.bin (default: the one beside the model).")
    Path tokenizer;

    /** The tokenizer file the model loads with: --tokenizer, else the one beside a llama2.c file or in a folder. */
    Path tokenizerFile() {
        if (tokenizer != null) {
            return tokenizer;
        }
        Path p = tracelens.model.HubCache.resolve(model);
        if (java.nio.file.Files.isDirectory(p)) {
            return p.resolve("tokenizer.json");
        }
        if (p.getFileName().toString().endsWith(".bin")) {
            return tracelens.model.llama.Llama2cFiles.tokenizerBeside(p);
        }
        java.util.Map<String, String> meta = tracelens.model.SafeTensors.headerMetadata(p); // a decoder saved by tracelens
        if (tracelens.model.decoder.SavedDecoder.FORMAT.equals(meta.get("format")) && meta.get("tokenizer") != null) {
            return Path.of(meta.get("tokenizer"));
        }
        return null;
    }

    @Option(names = "--max-memory", paramLabel = "SIZE|auto", defaultValue = "auto",
            description = "Memory for a decoder's weights: resident in float32 when they fit, else each block read from the"
                    + " checkpoint only while it runs; e.g. 512m, 16g; auto = 70%% of this machine's memory. (default: ${DEFAULT-VALUE})")
    String maxMemory;

    HiddenStateModel load() {
        tracelens.model.MemoryBudget budget = tracelens.model.MemoryBudget.parse(maxMemory);
        HiddenStateModel m = ModelLoader.load(model, tokenizer, budget);
        if (m instanceof Decoder d && d.streamed() && !quiet()) {
            mixee.commandLine().getErr().printf("note: %s runs block by block: its float32 weights (%s) exceed --max-memory %s;"
                    + " each block is read from the checkpoint while it runs%n", m.id(), tracelens.model.MemoryBudget.human(4 * m.parameterCount()),
                    tracelens.model.MemoryBudget.human(budget.limit()));
        }
        return m;
    }

    private boolean quiet() {
        if (mixee == null || mixee.commandLine() == null) {
            return true;
        }
        var q = mixee.findOption("--quiet"); // --json changes stdout only: the note still goes to stderr
        return q != null && Boolean.TRUE.equals(q.getValue());
    }

    @picocli.CommandLine.Spec(picocli.CommandLine.Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec mixee;

    /**
     * Decoder-only commands require --model: the built-in default is an encoder, so without it they could only fail
     * (checked first, before any input is read).
     */
    void requireDecoderOption(String command) {
        if (mixee != null && mixee.commandLine() != null && mixee.commandLine().getParseResult() != null
                && !mixee.commandLine().getParseResult().hasMatchedOption("--model")) {
            throw new picocli.CommandLine.ParameterException(mixee.commandLine(), "Missing required option: '--model=PATH': "
                    + command + " needs a decoder (a llama, qwen2, gpt_neox or gpt2 folder, or a llama2.c checkpoint such as"
                    + " ../shared/models/stories260K/stories260K.bin)");
        }
    }

    /** Loads a causal LM, or explains that the named model is not one. */
    Decoder loadDecoder(String command) {
        requireDecoderOption(command);
        HiddenStateModel m = load();
        if (m instanceof Decoder d) {
            return d;
        }
        String arch = m.architecture();
        m.close();
        throw new InvalidInputException("--model " + model + " is an encoder (" + arch + "); " + command
                + " needs a decoder: a llama, qwen2, gpt_neox or gpt2 folder, or a llama2.c checkpoint");
    }
}
