package tracelens.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.corpus.TextInput;
import tracelens.error.InvalidInputException;
import tracelens.lm.Perplexity;
import tracelens.model.decoder.Decoder;

@Command(name = "perplexity",
        header = "Perplexity of a decoder on texts (per text and overall).",
        description = {"exp of the mean next-token negative log-likelihood over real tokens. Each text is encoded as the",
            "model's runner encodes a prompt (BOS first where the tokenizer adds one); texts longer than the context are",
            "scored with a sliding window (stride = half the context). Overall = exp(sum NLL / sum predicted tokens)."},
        mixinStandardHelpOptions = true, sortOptions = false,
        footer = {"", "Example:",
            "  tracelens perplexity --model ../shared/models/stories260K/stories260K.bin --input stories.txt --json"})
public final class PerplexityCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    InputOptions inputOptions;

    @Option(names = "--batch-size", defaultValue = "8", paramLabel = "N", description = "Texts per forward pass. (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        if (batchSize <= 0) {
            throw new InvalidInputException("--batch-size must be positive, found " + batchSize);
        }
        List<String> texts = new ArrayList<>();
        modelOptions.requireDecoderOption("perplexity");
        TextInput in = inputOptions.open(null, spec.commandLine().getErr(), output);
        in.forEach(r -> texts.add(r.text()));
        if (texts.isEmpty()) {
            throw InvalidInputException.at(in.path(), "no texts found (empty input)");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Decoder model = modelOptions.loadDecoder("perplexity")) {
            Perplexity.Result r = Perplexity.compute(model, texts, batchSize, ProgressBar.of(spec.commandLine().getErr(), output));
            if (output.json) {
                ObjectNode json = Json.result(spec);
                json.put("model", model.id());
                Json.number(json, "perplexity", r.overall().perplexity());
                Json.number(json, "mean_nll", r.overall().meanNll());
                json.put("tokens", r.overall().tokens());
                ArrayNode per = json.putArray("per_text");
                for (Perplexity.Score s : r.perText()) {
                    ObjectNode o = per.addObject();
                    Json.number(o, "perplexity", s.perplexity());
                    Json.number(o, "mean_nll", s.meanNll());
                    o.put("tokens", s.tokens());
                }
                out.println(Json.write(json));
            } else {
                out.printf("perplexity %.4f (mean NLL %.4f nats) over %d predicted tokens in %d texts%n",
                        r.overall().perplexity(), r.overall().meanNll(), r.overall().tokens(), texts.size());
            }
            out.flush();
        }
        return 0;
    }

}
