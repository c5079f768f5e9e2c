package tracelens.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
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

    @Option(names = "--no-cache", description = "Rerun the whole sequence each step instead of using the KV cache (slower; for checks).")
    boolean noCache;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Sampler sampler = new Sampler(temperature, topP, seed);
        try (Decoder model = modelOptions.loadDecoder("generate")) {
            if (!output.json) {
                out.print(prompt); // the continuation follows the prompt, as llama2.c prints it
                out.flush();
            }
            Generator.Generation g = Generator.generate(model, prompt, maxTokens, sampler, !noCache, output.json ? null : piece -> {
                out.print(piece);
                out.flush();
            });
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
}
