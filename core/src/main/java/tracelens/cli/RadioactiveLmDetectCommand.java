package tracelens.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
import tracelens.progress.Progress;
import tracelens.radioactive.GreenList;
import tracelens.radioactive.WatermarkScore;

@Command(name = "lm-detect",
        header = "Test whether a language model was trained on text carrying a KGW watermark (Sander et al. 2024).",
        description = {"Closed-model mode: the suspect (--model) answers the prompts (--prompts, --samples, sampled with",
            "--temperature and --seed); its answers are scored as one chunk for the green-list watermark of --watermark-key",
            "(gamma, context width h: the generator's), with de-duplication (v2: each (window, token) once; v1: each window",
            "once; none) and, in v1/v2, windows that occur in the prompts skipped. The p-value is the binomial tail",
            "P(Bin(N, gamma) >= S) over the N scored tokens, S of them green. With --texts, scores given texts instead",
            "(JSON lines with 'tokens' or 'text', as 'generate --out' writes, or a .txt file); --model then only provides",
            "the tokenizer and vocabulary. The vocabulary is the model's logits width, as in generation."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Example:", "  tracelens radioactive lm-detect --model suspect.safetensors --prompts prompts.txt --samples 200 --watermark-key 7 --json"})
public final class RadioactiveLmDetectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--watermark-key", paramLabel = "K", description = "The watermark's secret key.")
    Long key;

    @Option(names = "--watermark", paramLabel = "FILE", description = "Instead of --watermark-key, --gamma, --context-width: the settings file 'generate --out' writes (FILE.watermark.json); its vocabulary must be the model's.")
    Path watermarkFile;

    @Option(names = "--gamma", defaultValue = "0.25", paramLabel = "G", description = "(default: ${DEFAULT-VALUE})")
    double gamma;

    @Option(names = "--context-width", defaultValue = "2", paramLabel = "H", description = "(default: ${DEFAULT-VALUE})")
    int contextWidth;

    @Option(names = "--dedup", defaultValue = "v2", paramLabel = "v2|v1|none", description = "(default: ${DEFAULT-VALUE})")
    String dedup;

    @Option(names = "--score-first-full-window", description = "Also score position h (the original never does).")
    boolean scoreFirstFullWindow;

    @Option(names = "--prompts", paramLabel = "FILE", description = "Closed mode: prompts, one per line (cycled over --samples).")
    Path prompts;

    @Option(names = "--samples", defaultValue = "100", paramLabel = "N", description = "Closed mode: answers to generate. (default: ${DEFAULT-VALUE})")
    int samples;

    @Option(names = "--max-tokens", defaultValue = "200", paramLabel = "N", description = "Closed mode: tokens per answer. (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", paramLabel = "T", description = "Closed mode. (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--top-p", defaultValue = "0.95", paramLabel = "P", description = "Closed mode. (default: ${DEFAULT-VALUE})")
    float topP;

    @Option(names = "--seed", defaultValue = "1000", paramLabel = "S", description = "Closed mode: answer i uses seed S + i. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--texts", paramLabel = "FILE", description = "Score these texts instead of generating (.jsonl or .txt).")
    Path texts;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws IOException {
        WatermarkScore.Dedup d = switch (dedup.toLowerCase(Locale.ROOT)) {
            case "v2" -> WatermarkScore.Dedup.V2;
            case "v1" -> WatermarkScore.Dedup.V1;
            case "none" -> WatermarkScore.Dedup.NONE;
            default -> throw InvalidInputException.field("dedup", " must be v2, v1 or none, found '" + dedup + "'");
        };
        if ((prompts == null) == (texts == null)) {
            throw new InvalidInputException("give --prompts FILE (the suspect answers them) or --texts FILE (score given texts)");
        }
        if (samples < 1 || maxTokens < 1) {
            throw new InvalidInputException("--samples and --max-tokens must be at least 1");
        }
        if ((key == null) == (watermarkFile == null)) {
            throw new InvalidInputException("give the watermark as --watermark-key K or --watermark FILE");
        }
        Integer keyVocabulary = null;
        if (watermarkFile != null) {
            JsonNode w;
            try {
                w = Json.MAPPER.readTree(Files.readString(watermarkFile));
            } catch (IOException e) {
                throw InvalidInputException.at(watermarkFile, "not a watermark settings file: " + e.getMessage().split("\n")[0]);
            }
            for (String f : List.of("scheme", "key", "gamma", "context_width", "vocabulary")) {
                if (w == null || !w.has(f)) {
                    throw InvalidInputException.at(watermarkFile, "field '" + f + "' is missing");
                }
            }
            if (!"kgw".equals(w.get("scheme").asText())) {
                throw InvalidInputException.at(watermarkFile, "scheme '" + w.get("scheme").asText() + "' is not kgw");
            }
            key = w.get("key").asLong();
            gamma = w.get("gamma").asDouble();
            contextWidth = w.get("context_width").asInt();
            keyVocabulary = w.get("vocabulary").asInt();
        }
        List<long[]> scored = new ArrayList<>();
        List<long[]> promptIds = new ArrayList<>();
        ObjectNode json = Json.result(spec);
        WatermarkScore.Result r;
        try (Decoder model = modelOptions.loadDecoder("radioactive lm-detect")) {
            if (keyVocabulary != null && keyVocabulary != model.config().vocabSize()) {
                throw InvalidInputException.at(watermarkFile, "the watermark's vocabulary has " + keyVocabulary + " tokens, the model's "
                        + model.config().vocabSize() + ": the key belongs to another model");
            }
            GreenList g = new GreenList(key, gamma, 0, contextWidth, model.config().vocabSize());
            if (texts != null) {
                readTexts(model, scored, promptIds);
            } else {
                List<String> ps = Files.readAllLines(prompts).stream().filter(l -> !l.isBlank()).toList();
                if (ps.isEmpty()) {
                    throw InvalidInputException.at(prompts, "holds no prompt");
                }
                for (String p : ps) {
                    promptIds.add(Generator.encodePrompt(model, p));
                }
                Progress progress = ProgressBar.of(spec.commandLine().getErr(), output);
                progress.start("suspect answering", samples);
                for (int i = 0; i < samples; i++) {
                    Generator.Generation gen = Generator.generate(model, ps.get(i % ps.size()), maxTokens,
                            new Sampler(temperature, topP, seed + i), true, null);
                    long[] all = new long[gen.prompt().length + gen.generated().length];
                    System.arraycopy(gen.prompt(), 0, all, 0, gen.prompt().length);
                    System.arraycopy(gen.generated(), 0, all, gen.prompt().length, gen.generated().length);
                    scored.add(all);
                    progress.advance(1);
                }
                progress.end();
            }
            r = WatermarkScore.score(g, scored, promptIds, d, scoreFirstFullWindow);
            json.put("vocabulary", g.vocab());
        }
        json.put("texts", scored.size());
        json.put("scored_tokens", r.scored());
        json.put("green_tokens", r.green());
        Json.number(json, "green_share", r.scored() == 0 ? Double.NaN : (double) r.green() / r.scored());
        json.put("p_value", r.p());
        json.put("log10_p_value", r.log10P());
        if (r.scored() == 0) {
            json.put("note", "no token was scored (texts too short for the context width, or all de-duplicated): p = 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(output.json ? Json.write(json) : String.format(Locale.ROOT,
                "%d of %d scored tokens green (%.3f, gamma %.2f): p = %.3g (log10 p = %.2f)", r.green(), r.scored(),
                r.scored() == 0 ? Double.NaN : (double) r.green() / r.scored(), gamma, r.p(), r.log10P()));
        out.flush();
        return 0;
    }

    /** Texts to score as token ids (prompt + answer, the prompt also kept for the prompt filter). */
    private void readTexts(Decoder model, List<long[]> scored, List<long[]> promptIds) throws IOException {
        if (!Files.isRegularFile(texts)) {
            throw InvalidInputException.at(texts, "not found");
        }
        List<String> lines = Files.readAllLines(texts);
        boolean jsonl = texts.getFileName().toString().endsWith(".jsonl");
        int vocab = model.config().vocabSize();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            if (!jsonl) {
                scored.add(Generator.encodePrompt(model, line));
                continue;
            }
            JsonNode n;
            try {
                n = Json.MAPPER.readTree(line);
            } catch (IOException e) {
                throw InvalidInputException.at(texts, "line " + (i + 1), "not a JSON object");
            }
            long[] prompt = n.has("prompt") ? Generator.encodePrompt(model, n.get("prompt").asText()) : new long[0];
            long[] answer;
            if (n.has("tokens")) {
                answer = new long[n.get("tokens").size()];
                for (int k = 0; k < answer.length; k++) {
                    answer[k] = n.get("tokens").get(k).asLong();
                    if (answer[k] < 0 || answer[k] >= vocab) {
                        throw InvalidInputException.at(texts, "line " + (i + 1), "token id " + answer[k] + " is outside the model's vocabulary of "
                                + vocab + " (texts from another tokenizer?)");
                    }
                }
            } else if (n.has("text")) {
                answer = model.tokenizer().encode(n.get("text").asText(), Integer.MAX_VALUE).ids();
            } else {
                throw InvalidInputException.at(texts, "line " + (i + 1), "has neither 'tokens' nor 'text'");
            }
            long[] all = new long[prompt.length + answer.length];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            System.arraycopy(answer, 0, all, prompt.length, answer.length);
            scored.add(all);
            if (prompt.length > 0) {
                promptIds.add(prompt);
            }
        }
        if (scored.isEmpty()) {
            throw InvalidInputException.at(texts, "holds no text");
        }
    }
}
