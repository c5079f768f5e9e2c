package tracelens.sip;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import tracelens.corpus.PassageSampler;
import tracelens.model.HiddenStateModel;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;

/**
 * Which source does each token of a text resemble? (sip.md §8.) A token-level identifier is trained on the n-gram
 * rows of one layer over the training samples of the corpus (each row labelled with its sample's source) and scored
 * on the held-out samples' rows; it then labels every token of the given text: label = argmax of the logits,
 * confidence = max softmax of the logits (the SIP code's choice, kept for parity) or the sigmoid of the top logit,
 * and tokens below the threshold are unknown (-1). Tokens without a row (the last n-1) are unknown too.
 */
public final class SourceIdentify {
    public enum Confidence { SOFTMAX, SIGMOID }

    public record Options(int layer, int ngram, int maxLength, int epochs, boolean mlp, double threshold, Confidence confidence, long seed) {}

    public record TokenLabel(String token, long id, int label, double confidence) {}

    public record Result(List<String> sources, double heldOutTokenAccuracy, int trainRows, int testRows, String text,
            List<TokenLabel> tokens) {}

    private SourceIdentify() {}

    public static Result run(HiddenStateModel model, PassageSampler.Sample sample, String text, Options o, Progress progress) {
        List<String> sources = sample.sources();
        List<String> trainTexts = new ArrayList<>();
        List<Integer> trainLabels = new ArrayList<>();
        List<String> testTexts = new ArrayList<>();
        List<Integer> testLabels = new ArrayList<>();
        for (PassageSampler.Passage p : sample.passages()) {
            (p.test() ? testTexts : trainTexts).add(p.text());
            (p.test() ? testLabels : trainLabels).add(sources.indexOf(p.source()));
        }
        progress.start("token states", 3);
        List<TokenRows.Text> train = TokenRows.of(model, trainTexts, o.layer(), o.ngram(), o.maxLength(), 16);
        progress.advance(1);
        List<TokenRows.Text> test = TokenRows.of(model, testTexts, o.layer(), o.ngram(), o.maxLength(), 16);
        progress.advance(1);
        TokenRows.Text query = TokenRows.of(model, List.of(text), o.layer(), o.ngram(), o.maxLength(), 1).get(0);
        progress.advance(1);
        progress.end();

        List<float[]> trainX = new ArrayList<>();
        List<Integer> trainY = new ArrayList<>();
        flatten(train, trainLabels, trainX, trainY);
        List<float[]> evalX = new ArrayList<>();
        List<Integer> evalY = new ArrayList<>();
        flatten(test, testLabels, evalX, evalY);
        int nTest = evalX.size();
        for (float[] r : query.rows()) {
            evalX.add(r);
        }
        int k = sources.size();
        float[] logits;
        try (NDManager m = DjlRuntime.manager()) {
            var opts = IdentifierTrainer.Options.of(o.mlp() ? Identifier.MLP : Identifier.LINEAR, o.epochs(), o.seed());
            logits = IdentifierTrainer.trainAndPredict(m, trainX.toArray(float[][]::new), trainY.stream().mapToInt(Integer::intValue).toArray(),
                    evalX.toArray(float[][]::new), k, opts, progress).testLogits();
        }
        float[] testLogits = java.util.Arrays.copyOf(logits, nTest * k);
        double acc = nTest == 0 ? Double.NaN : Metrics.accuracy(testLogits, evalY.stream().mapToInt(Integer::intValue).toArray(), k);

        List<TokenLabel> tokens = new ArrayList<>();
        long[] ids = query.ids();
        String[] pieces = model.tokenizer().pieces(ids);
        for (int t = 0; t < ids.length; t++) {
            String piece = pieces[t];
            if (t >= query.rows().length) {
                tokens.add(new TokenLabel(piece, ids[t], -1, 0));
                continue;
            }
            int base = (nTest + t) * k;
            int best = 0;
            for (int c = 1; c < k; c++) {
                if (logits[base + c] > logits[base + best]) {
                    best = c;
                }
            }
            double conf = confidence(logits, base, k, best, o.confidence());
            tokens.add(new TokenLabel(piece, ids[t], conf < o.threshold() ? -1 : best, conf));
        }
        return new Result(sources, acc, trainX.size(), nTest, text, tokens);
    }

    static double confidence(float[] logits, int base, int k, int best, Confidence how) {
        if (how == Confidence.SIGMOID) {
            return 1 / (1 + Math.exp(-logits[base + best]));
        }
        double max = logits[base + best];
        double sum = 0;
        for (int c = 0; c < k; c++) {
            sum += Math.exp(logits[base + c] - max);
        }
        return 1 / sum;
    }

    private static void flatten(List<TokenRows.Text> texts, List<Integer> labels, List<float[]> x, List<Integer> y) {
        for (int i = 0; i < texts.size(); i++) {
            for (float[] r : texts.get(i).rows()) {
                x.add(r);
                y.add(labels.get(i));
            }
        }
    }
}
