package tracelens.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.activations.LayerSelection;
import tracelens.error.InvalidInputException;
import tracelens.lm.Generator;
import tracelens.lm.Sampler;
import tracelens.model.HiddenStateModel;
import tracelens.model.decoder.Decoder;
import tracelens.report.IdentifyPages;
import tracelens.sip.SavedIdentifier;
import tracelens.sip.SourceIdentify;

@Command(name = "identify",
        header = "Label every token of a generated or given text with the source it resembles.",
        description = {
            "Trains a token-level identifier on one layer's n-gram rows of the corpus's training samples (reporting",
            "its held-out token accuracy), then labels each token of --text, or of the greedy continuation of --prompt",
            "(a decoder generates until 50 tokens in all, as the SIP code does). Tokens below --threshold are unknown.",
            "Writes DIR/source_labels.html, DIR/source_logits.html, DIR/tokens.jsonl and the trained identifier,",
            "DIR/identifier.safetensors, which --identifier FILE reuses without a corpus or retraining (as it does those",
            "of 'sip train --input unigram|bigram|trigram')."},
        mixinStandardHelpOptions = true, sortOptions = false,
        footer = {"", "Example:",
            "  tracelens sip identify --model ../shared/models/stories260K/stories260K.bin --corpus books/ \\",
            "      --prompt 'Once upon a time' --layer -1 --ngram 2 --out identify",
            "  tracelens sip identify --model ../shared/models/stories260K/stories260K.bin \\",
            "      --identifier identify/identifier.safetensors --text 'The dragon slept.' --out identify2"})
public final class SipIdentifyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    CorpusOptions corpusOptions;

    static final class What {
        @Option(names = "--text", paramLabel = "TEXT", description = "A text to label.")
        String text;

        @Option(names = "--prompt", paramLabel = "TEXT", description = "A prompt for a decoder to continue greedily; the whole text is labelled.")
        String prompt;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    What what;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--identifier", paramLabel = "FILE",
            description = "A saved token-level identifier to apply instead of training one (its layer and n-gram size are used).")
    Path identifier;

    @Option(names = "--layer", defaultValue = "-1", paramLabel = "L", description = "Hidden state to identify from. (default: ${DEFAULT-VALUE}, the last)")
    String layer;

    @Option(names = "--ngram", defaultValue = "2", paramLabel = "1|2|3", description = "Tokens per row (bigram generalises best per the SIP paper). (default: ${DEFAULT-VALUE})")
    int ngram;

    @Option(names = "--threshold", defaultValue = "0.5", paramLabel = "P", description = "Below this confidence a token is unknown. (default: ${DEFAULT-VALUE})")
    double threshold;

    @Option(names = "--confidence", defaultValue = "softmax", paramLabel = "softmax|sigmoid",
            description = "Max softmax of the logits (the SIP code) or sigmoid of the top logit. (default: ${DEFAULT-VALUE})")
    String confidence;

    @Option(names = "--epochs", defaultValue = "50", paramLabel = "N", description = "Most identifier training epochs. (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--mlp", description = "Use the MLP identifier instead of the linear one.")
    boolean mlp;

    @Option(names = "--max-length", defaultValue = "256", paramLabel = "N", description = "Longest token sequence. (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.folder("--out", out);
        if (ngram < 1 || ngram > 3) {
            throw new InvalidInputException("--ngram must be 1, 2 or 3, found " + ngram);
        }
        SourceIdentify.Confidence conf = Choice.of(SourceIdentify.Confidence.class, "--confidence", confidence);
        var parsed = spec.commandLine().getParseResult();
        if (identifier != null) {
            for (String name : new String[] {"--corpus", "--layer", "--ngram", "--mlp", "--epochs"}) {
                if (parsed.hasMatchedOption(name)) {
                    throw new InvalidInputException(name + " does not go with --identifier: the saved identifier fixes its corpus,"
                            + " layer, n-gram size and architecture");
                }
            }
        }
        var sample = identifier == null ? corpusOptions.heldOutSample() : null;
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        try (HiddenStateModel m = modelOptions.load()) {
            int l = identifier == null ? LayerSelection.parse(layer, m.numLayers())[0] : -1;
            String text = what.text;
            if (what.prompt != null) {
                if (!(m instanceof Decoder d)) {
                    throw new InvalidInputException("--prompt needs a decoder to generate; " + m.id() + " is an encoder (give --text instead)");
                }
                int promptTokens = Generator.encodePrompt(d, what.prompt).length;
                var g = Generator.generate(d, what.prompt, Math.max(0, 50 - promptTokens), new Sampler(0, 0, 1), true, null);
                text = what.prompt + g.text();
            }
            var opts = new SourceIdentify.Options(l, ngram, Math.min(maxLength, m.maxPositions()), epochs, mlp, threshold, conf, corpusOptions.seed);
            var progress = ProgressBar.of(err, output);
            SourceIdentify.Result r;
            if (identifier == null) {
                r = SourceIdentify.run(m, sample, text, opts, out.resolve("identifier.safetensors"), progress);
            } else {
                r = SourceIdentify.apply(m, identifier, text, opts, progress);
                l = SavedIdentifier.info(identifier).layer();
                ngram = SavedIdentifier.tokenRowsNgram(SavedIdentifier.info(identifier).features());
            }
            IdentifyPages.write(r, new IdentifyPages.Context(l, ngram, threshold, what.prompt != null ? what.prompt.length() : 0), out);
            if (output.json) {
                var json = Json.result(spec);
                json.put("model", m.id());
                json.put("layer", l);
                json.put("text", r.text());
                json.put("ngram", ngram);
                if (identifier != null) {
                    json.put("identifier", identifier.toString());
                    json.putNull("held_out_token_accuracy");
                } else {
                    json.put("identifier", out.resolve("identifier.safetensors").toString());
                    json.put("held_out_token_accuracy", r.heldOutTokenAccuracy());
                }
                var srcs = json.putArray("sources");
                r.sources().forEach(srcs::add);
                var toks = json.putArray("tokens");
                for (SourceIdentify.TokenLabel t : r.tokens()) {
                    toks.addObject().put("token", t.token()).put("label", t.label())
                            .put("source", t.label() < 0 ? null : r.sources().get(t.label())).put("confidence", t.confidence());
                }
                stdout.println(Json.write(json));
            } else {
                if (identifier != null) {
                    stdout.printf(Locale.ROOT, "saved token-level identifier %s (layer %d, %d-gram, %d sources)%n", identifier, l, ngram,
                            r.sources().size());
                } else {
                    stdout.printf(Locale.ROOT, "token-level identifier on layer %d (%d-gram, %d training rows): held-out token accuracy %.3f,"
                            + " chance %.3f; saved as %s%n", l, ngram, r.trainRows(), r.heldOutTokenAccuracy(), 1.0 / r.sources().size(),
                            out.resolve("identifier.safetensors"));
                }
                int[] counts = new int[r.sources().size()];
                int unknown = 0;
                for (SourceIdentify.TokenLabel t : r.tokens()) {
                    if (t.label() < 0) {
                        unknown++;
                    } else {
                        counts[t.label()]++;
                    }
                }
                stdout.println("text: " + r.text().replace('\n', ' '));
                for (int i = 0; i < counts.length; i++) {
                    if (counts[i] > 0) {
                        stdout.printf("  %-30s %d tokens%n", r.sources().get(i), counts[i]);
                    }
                }
                stdout.printf("  %-30s %d tokens%n", "(unknown)", unknown);
                stdout.printf("wrote %s, %s and %s%n", out.resolve("source_labels.html"), out.resolve("source_logits.html"), out.resolve("tokens.jsonl"));
            }
            stdout.flush();
        }
        return 0;
    }
}
