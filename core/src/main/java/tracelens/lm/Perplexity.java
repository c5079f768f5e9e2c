package tracelens.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import tracelens.model.TextTokenizer;
import tracelens.model.decoder.Decoder;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;

/**
 * Perplexity of a frozen decoder on texts: exp of the mean next-token negative log-likelihood over real tokens
 * (padding masked), overall = exp(sum NLL / sum predicted tokens). Each text is encoded as the model's runner
 * encodes a prompt (BOS first where the tokenizer adds one); its first token is context only. Texts longer than
 * the context are scored with a sliding window of the context length and a stride of half of it, every token
 * scored once with at least half a window of context (as Hugging Face's perplexity guide does).
 */
public final class Perplexity {
    /** One text's score; perplexity and mean NLL are NaN when the text has fewer than two tokens. */
    public record Score(double nll, long tokens) {
        public double meanNll() {
            return tokens == 0 ? Double.NaN : nll / tokens;
        }

        public double perplexity() {
            return Math.exp(meanNll());
        }
    }

    public record Result(Score overall, List<Score> perText) {}

    private Perplexity() {}

    public static Result compute(Decoder model, List<String> texts, int batchSize, Progress progress) {
        TextTokenizer tok = model.tokenizer();
        int window = model.maxPositions();
        Score[] scores = new Score[texts.size()];
        List<Integer> batch = new ArrayList<>();
        List<long[]> batchIds = new ArrayList<>();
        progress.start("scoring", texts.size());
        try (NDManager root = DjlRuntime.manager()) {
            // texts that fit the context are batched in order of length, so a batch carries little padding (a text's
            // score does not depend on its batch: padding is masked and comes after its tokens)
            long[][] all = new long[texts.size()][];
            List<Integer> fitting = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                all[i] = tok.encode(texts.get(i), Integer.MAX_VALUE).ids();
                if (all[i].length > window) {
                    scores[i] = slidingWindow(model, root, all[i], window);
                    progress.advance(1);
                } else {
                    fitting.add(i);
                }
            }
            fitting.sort(java.util.Comparator.comparingInt(i -> all[i].length));
            for (int i : fitting) {
                batch.add(i);
                batchIds.add(all[i]);
                if (batch.size() == batchSize) {
                    scoreBatch(model, root, batchIds, batch, scores);
                    progress.advance(batch.size());
                    batch.clear();
                    batchIds.clear();
                }
            }
            if (!batch.isEmpty()) {
                scoreBatch(model, root, batchIds, batch, scores);
                progress.advance(batch.size());
            }
        } finally {
            progress.end();
        }
        double nll = 0;
        long n = 0;
        for (Score s : scores) {
            nll += s.nll();
            n += s.tokens();
        }
        return new Result(new Score(nll, n), List.of(scores));
    }

    /**
     * Scores texts that fit the context, right-padded to the longest, in slices of rows small enough for the attention
     * scores to stay in cache (TokenBatch.rowsPerPass), each slice padded to its own longest (padding comes after a
     * text's tokens and is masked, so it does not change the text's score).
     */
    private static void scoreBatch(Decoder model, NDManager root, List<long[]> rows, List<Integer> index, Score[] out) {
        int t = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        int step = tracelens.model.TokenBatch.rowsPerPass(rows.size(), t, 8);
        for (int from = 0; from < rows.size(); from += step) {
            int to = Math.min(rows.size(), from + step);
            scoreSlice(model, root, rows.subList(from, to), index.subList(from, to), out);
        }
    }

    private static void scoreSlice(Decoder model, NDManager root, List<long[]> rows, List<Integer> index, Score[] out) {
        int b = rows.size();
        int t = rows.stream().mapToInt(r -> r.length).max().orElse(0);
        if (t < 2) {
            for (int i = 0; i < b; i++) {
                out[index.get(i)] = new Score(0, 0);
            }
            return;
        }
        long[] ids = new long[b * t];
        long[] mask = new long[b * t];
        Arrays.fill(ids, model.tokenizer().padId());
        for (int i = 0; i < b; i++) {
            System.arraycopy(rows.get(i), 0, ids, i * t, rows.get(i).length);
            Arrays.fill(mask, i * t, i * t + rows.get(i).length, 1);
        }
        double[] nll = tokenNll(model, root, b, t, ids, Decoder.positionsFromMask(mask, b, t), mask);
        for (int i = 0; i < b; i++) {
            int n = rows.get(i).length;
            double sum = 0;
            for (int p = 0; p + 1 < n; p++) {
                sum += nll[i * (t - 1) + p];
            }
            out[index.get(i)] = new Score(sum, Math.max(0, n - 1));
        }
    }

    private static Score slidingWindow(Decoder model, NDManager root, long[] ids, int window) {
        int stride = Math.max(1, window / 2);
        double sum = 0;
        long count = 0;
        int scoredUpTo = 1; // the first token of the text has no context
        for (int begin = 0; ; begin += stride) {
            int end = Math.min(begin + window, ids.length);
            int t = end - begin;
            long[] w = Arrays.copyOfRange(ids, begin, end);
            long[] mask = new long[t];
            Arrays.fill(mask, 1);
            long[] pos = new long[t];
            for (int i = 0; i < t; i++) {
                pos[i] = i;
            }
            double[] nll = tokenNll(model, root, 1, t, w, pos, mask);
            for (int target = Math.max(scoredUpTo, begin + 1); target < end; target++) {
                sum += nll[target - begin - 1];
                count++;
            }
            scoredUpTo = end;
            if (end == ids.length) {
                return new Score(sum, count);
            }
        }
    }

    /** -log p(token p+1 | tokens 0..p) for p in 0..T-2, as (B, T-1) row-major. */
    private static double[] tokenNll(Decoder model, NDManager root, int b, int t, long[] ids, long[] positions, long[] mask) {
        try (NDManager scope = root.newSubManager()) {
            float[] picked = nextTokenLogProbs(scope, model, b, t, ids, positions, mask).toFloatArray();
            double[] out = new double[picked.length];
            for (int i = 0; i < picked.length; i++) {
                out[i] = -picked[i];
            }
            return out;
        }
    }

    /** log p(token p+1 | tokens 0..p) for p in 0..T-2, (B, T-1), differentiable: perplexity and fine-tuning both use it. */
    static NDArray nextTokenLogProbs(NDManager scope, Decoder model, int b, int t, long[] ids, long[] positions, long[] mask) {
        NDArray logits = model.forward(scope, b, t, ids, positions, mask, null, tracelens.nn.Hooks.none(scope), true, false); // (B, T, V)
        NDArray logp = logits.get(":, :-1, :").logSoftmax(-1);
        long[] next = new long[b * (t - 1)];
        for (int i = 0; i < b; i++) {
            System.arraycopy(ids, i * t + 1, next, i * (t - 1), t - 1);
        }
        return logp.gather(scope.create(next, new Shape(b, t - 1, 1)), 2).reshape(b, t - 1);
    }
}
