package tracelens.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.error.InvalidInputException;
import tracelens.lm.Generator;
import tracelens.lm.Sampler;
import tracelens.model.decoder.Decoder;

@Command(name = "generate",
        header = "Generate text with a decoder (greedy at temperature 0, or seeded sampling).",
        description = {"Encodes the prompt as the model's runner does (BOS first where the tokenizer adds one) and",
            "generates up to --max-tokens tokens, stopping at EOS or BOS. Sampling follows llama2.c's run.c, so a seed",
            "reproduces its output. Text streams to stdout as it is generated."},
        mixinStandardHelpOptions = true, sortOptions = false,
        footer = {"", "Examples:",
            "  tracelens generate --model ../shared/models/stories260K/stories260K.bin --prompt 'Once upon a time' --max-tokens 100",
            "  tracelens generate --model ./qwen2-0.5b --prompt 'The capital of France is' --temperature 0.8 --top-p 0.9 --seed 7 --json"})
public final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--prompt", defaultValue = "", paramLabel = "TEXT", description = "Prompt (default: empty, i.e. BOS only).")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "256", paramLabel = "N", description = "Most tokens to generate. (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", paramLabel = "T", description = "0 = greedy. (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0.9", paramLabel = "P", description = "Nucleus sampling mass; 0 or 1 samples from all tokens. (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "Sampling seed. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--watermark-key", paramLabel = "K", description = "Watermark the output with the KGW green-list scheme under this secret key (radioactive.md §7).")
    Long watermarkKey;

    @Option(names = "--gamma", defaultValue = "0.25", paramLabel = "G", description = "Watermark: share of the vocabulary that is green. (default: ${DEFAULT-VALUE})")
    double gamma;

    @Option(names = "--delta", defaultValue = "2.0", paramLabel = "D", description = "Watermark: logit bonus of green tokens. (default: ${DEFAULT-VALUE})")
    double delta;

    @Option(names = "--context-width", defaultValue = "2", paramLabel = "H", description = "Watermark: tokens that seed each green list. (default: ${DEFAULT-VALUE})")
    int contextWidth;

    @Option(names = "--samples", defaultValue = "1", paramLabel = "N", description = "Generate N texts (sample i uses seed S + i; prompts cycle through --prompts). (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--prompts", paramLabel = "FILE", description = "Prompts, one per line (instead of --prompt).")
    java.nio.file.Path prompts;

    @Option(names = "--out", paramLabel = "FILE", description = "Write the texts as JSON lines (prompt, text, tokens, seed) instead of printing them.")
    java.nio.file.Path outFile;

    @Option(names = "--no-cache", description = "Rerun the whole sequence each step instead of using the KV cache (slower; for checks).")
    boolean noCache;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws java.io.IOException {
        OutputPaths.file("--out", outFile);
        if (samples < 1) {
            throw InvalidInputException.field("samples", " must be at least 1, found " + samples);
        }
        if (samples > 1 || prompts != null || outFile != null) {
            return batch();
        }
        PrintWriter out = spec.commandLine().getOut();
        Sampler sampler = new Sampler(temperature, topP, seed);
        try (Decoder model = modelOptions.loadDecoder("generate")) {
            Generator.LogitsProcessor watermark = watermark(model);
            if (!output.json) {
                out.print(prompt); // the continuation follows the prompt, as llama2.c prints it
                out.flush();
            }
            Generator.Generation g = Generator.generate(model, prompt, maxTokens, sampler, !noCache, output.json ? null : piece -> {
                out.print(piece);
                out.flush();
            }, watermark);
            if (output.json) {
                ObjectNode r = Json.result(spec);
                r.put("model", model.id());
                r.put("prompt", prompt);
                r.put("text", g.text());
                ArrayNode p = r.putArray("prompt_tokens");
                for (long id : g.prompt()) {
                    p.add(id);
                }
                ArrayNode ids = r.putArray("tokens");
                for (long id : g.generated()) {
                    ids.add(id);
                }
                r.put("stop_reason", g.stop().name().toLowerCase());
                r.put("temperature", temperature);
                r.put("top_p", topP);
                r.put("seed", seed);
                r.put("tokens_per_second", g.tokensPerSecond());
                out.println(Json.write(r));
            } else {
                out.println();
                if (!output.quiet) {
                    spec.commandLine().getErr().printf("(%d tokens, %.1f tokens/s, stopped: %s)%n", g.generated().length,
                            g.tokensPerSecond(), g.stop().name().toLowerCase().replace('_', ' '));
                }
            }
            out.flush();
        }
        return 0;
    }

    /** The KGW watermark as a logits processor, or null without --watermark-key; its vocabulary is the logits width. */
    private Generator.LogitsProcessor watermark(Decoder model) {
        if (watermarkKey == null) {
            return null;
        }
        tracelens.radioactive.GreenList g = new tracelens.radioactive.GreenList(watermarkKey, gamma, delta, contextWidth,
                model.config().vocabSize());
        return g::bias;
    }

    /** Many texts to a JSON-lines file (or stdout), with progress. */
    private Integer batch() throws java.io.IOException {
        List<String> promptList = prompts == null ? List.of(prompt) : java.nio.file.Files.readAllLines(prompts).stream()
                .filter(l -> !l.isBlank()).toList();
        if (promptList.isEmpty()) {
            throw InvalidInputException.at(prompts, "holds no prompt");
        }
        StringBuilder lines = new StringBuilder();
        tracelens.progress.Progress progress = ProgressBar.of(spec.commandLine().getErr(), output);
        int tokens = 0;
        int vocabulary;
        try (Decoder model = modelOptions.loadDecoder("generate")) {
            Generator.LogitsProcessor watermark = watermark(model);
            vocabulary = model.config().vocabSize();
            progress.start("generating", samples);
            for (int i = 0; i < samples; i++) {
                String p = promptList.get(i % promptList.size());
                Generator.Generation g = Generator.generate(model, p, maxTokens, new Sampler(temperature, topP, seed + i), !noCache, null,
                        watermark);
                ObjectNode line = Json.MAPPER.createObjectNode();
                line.put("prompt", p);
                line.put("text", g.text());
                ArrayNode ids = line.putArray("tokens");
                for (long id : g.generated()) {
                    ids.add(id);
                }
                line.put("seed", seed + i);
                lines.append(Json.MAPPER.writer().without(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT)
                        .writeValueAsString(line)).append('\n');
                tokens += g.generated().length;
                progress.advance(1);
            }
            progress.end();
        }
        ObjectNode r = Json.result(spec);
        r.put("samples", samples);
        r.put("tokens", tokens);
        if (watermarkKey != null) {
            r.put("watermark", "kgw");
        }
        PrintWriter out = spec.commandLine().getOut();
        if (outFile != null) {
            tracelens.io.AtomicFile.writeString(outFile, lines.toString());
            if (watermarkKey != null) { // the detector's settings beside the texts (the key in it is the secret)
                ObjectNode w = Json.MAPPER.createObjectNode();
                w.put("scheme", "kgw").put("prf", "splitmix64-fisher-yates").put("key", watermarkKey).put("gamma", gamma)
                        .put("delta", delta).put("context_width", contextWidth).put("vocabulary", vocabulary);
                tracelens.io.AtomicFile.writeString(outFile.resolveSibling(outFile.getFileName() + ".watermark.json"), Json.write(w) + "\n");
            }
            out.println(output.json ? Json.write(r) : "wrote " + samples + " texts (" + tokens + " tokens) to " + outFile);
        } else {
            out.print(lines);
        }
        out.flush();
        return 0;
    }
}
