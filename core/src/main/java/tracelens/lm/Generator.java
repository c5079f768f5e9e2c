package tracelens.lm;

import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.function.Consumer;
import tracelens.error.InvalidInputException;
import tracelens.error.NumericalFailureException;
import tracelens.model.decoder.Decoder;
import tracelens.model.decoder.KvCache;
import tracelens.runtime.DjlRuntime;

/**
 * Autoregressive generation from a prompt, one token per step, as llama2.c's runner: the prompt is encoded with
 * the model's tokenizer (BOS first where the tokenizer adds one), and generation stops at EOS or BOS, at
 * {@code maxTokens}, or at the end of the context. With the KV cache each step runs one token through the model;
 * without it every step reruns the whole sequence (kept for comparison and as a check of the cache).
 */
public final class Generator {
    public enum Stop { EOS, MAX_TOKENS, CONTEXT }

    public record Generation(long[] prompt, long[] generated, String text, Stop stop, double seconds) {
        public double tokensPerSecond() {
            return seconds > 0 ? generated.length / seconds : 0;
        }
    }

    private Generator() {}

    public static long[] encodePrompt(Decoder model, String prompt) {
        long[] ids = model.tokenizer().encode(prompt, Integer.MAX_VALUE).ids();
        if (ids.length == 0) {
            if (model.config().bosId() < 0) {
                throw InvalidInputException.field("prompt", " is empty and this tokenizer adds no BOS token: give a prompt");
            }
            ids = new long[] {model.config().bosId()};
        }
        if (ids.length >= model.maxPositions()) {
            throw InvalidInputException.field("prompt", " has " + ids.length + " tokens; the model's context is "
                    + model.maxPositions() + " tokens and generation needs room for at least one more");
        }
        return ids;
    }

    /** NaN or +infinity in the model's logits would be sampled as token 0 (or any); -infinity is a masked token. */
    private static void requireFinite(float[] logits, int step) {
        for (int i = 0; i < logits.length; i++) {
            if (Float.isNaN(logits[i]) || logits[i] == Float.POSITIVE_INFINITY) {
                throw new NumericalFailureException("generation step " + (step + 1) + ": the model's logit for token " + i + " is "
                        + logits[i] + "; its weights or configuration produce non-finite values");
            }
        }
    }

    /** Changes the next-token logits given the sequence so far (its first {@code len} tokens), e.g. a watermark. */
    @FunctionalInterface
    public interface LogitsProcessor {
        void process(float[] logits, long[] tokens, int len);
    }

    /** Generates up to {@code maxTokens} tokens; {@code onText} receives the text as it grows (may be null). */
    public static Generation generate(Decoder model, String prompt, int maxTokens, Sampler sampler, boolean useCache,
            Consumer<String> onText) {
        return generate(model, prompt, maxTokens, sampler, useCache, onText, null);
    }

    /** As above, with the logits passed through {@code processor} (may be null) before each draw. */
    public static Generation generate(Decoder model, String prompt, int maxTokens, Sampler sampler, boolean useCache,
            Consumer<String> onText, LogitsProcessor processor) {
        if (maxTokens < 0) {
            throw InvalidInputException.field("max_tokens", " must be >= 0, found " + maxTokens);
        }
        long started = System.nanoTime();
        long[] promptIds = encodePrompt(model, prompt);
        long[] seq = Arrays.copyOf(promptIds, promptIds.length + maxTokens);
        int len = promptIds.length;
        String promptText = model.tokenizer().decode(promptIds);
        int emitted = 0;
        Stop stop = Stop.MAX_TOKENS;
        long eos = model.config().eosId();
        long bos = model.config().bosId();
        int tokenizerSize = model.tokenizer().vocabSize();
        try (NDManager root = DjlRuntime.manager(); KvCache cache = useCache ? new KvCache(root, model.numLayers()) : null) {
            float[] logits = null;
            for (int step = 0; step < maxTokens; step++) {
                try (NDManager scope = root.newSubManager()) {
                    int from = useCache ? (step == 0 ? 0 : len - 1) : 0;
                    int t = len - from;
                    long[] ids = Arrays.copyOfRange(seq, from, len);
                    long[] positions = new long[t];
                    for (int i = 0; i < t; i++) {
                        positions[i] = from + i;
                    }
                    long[] mask = new long[t];
                    Arrays.fill(mask, 1);
                    logits = model.forward(scope, 1, t, ids, positions, mask, cache, tracelens.nn.Hooks.none(scope), true, true).toFloatArray();
                }
                requireFinite(logits, step);
                if (processor != null) {
                    processor.process(logits, seq, len);
                }
                // a tokenizer smaller than the embedding (padded vocabularies, or a mismatched file) cannot print the rest
                Arrays.fill(logits, Math.min(tokenizerSize, logits.length), logits.length, Float.NEGATIVE_INFINITY);
                int next = sampler.sample(logits);
                if (next == eos || next == bos) {
                    stop = Stop.EOS;
                    break;
                }
                seq[len++] = next;
                if (onText != null) {
                    String text = stableText(model.tokenizer().decode(Arrays.copyOf(seq, len)), promptText);
                    if (text.length() > emitted) {
                        onText.accept(text.substring(emitted));
                        emitted = text.length();
                    }
                }
                if (len >= model.maxPositions()) {
                    stop = step + 1 < maxTokens ? Stop.CONTEXT : Stop.MAX_TOKENS;
                    break;
                }
            }
        }
        long[] generated = Arrays.copyOfRange(seq, promptIds.length, len);
        String full = model.tokenizer().decode(Arrays.copyOf(seq, len));
        String text = full.startsWith(promptText) ? full.substring(promptText.length()) : model.tokenizer().decode(generated);
        if (onText != null && text.length() > emitted) {
            onText.accept(text.substring(emitted));
        }
        return new Generation(promptIds, generated, text, stop, (System.nanoTime() - started) / 1e9);
    }

    /** The generated part of the decoded text, without a trailing incomplete UTF-8 character. */
    private static String stableText(String full, String promptText) {
        String text = full.startsWith(promptText) ? full.substring(promptText.length()) : full;
        int end = text.length();
        while (end > 0 && text.charAt(end - 1) == '\uFFFD') {
            end--;
        }
        return text.substring(0, end);
    }
}
