package tracelens.sip;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tracelens.corpus.PassageSampler;
import tracelens.error.InvalidInputException;
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

    /**
     * Trains the identifier on the sample's training rows, scores it on the held-out rows and labels {@code text};
     * with {@code saveTo} the trained identifier is saved there (SavedIdentifier) for {@link #apply}.
     */
    public static Result run(HiddenStateModel model, PassageSampler.Sample sample, String text, Options o, Path saveTo,
            Progress progress) {
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
        int[] hidden = o.mlp() ? Identifier.MLP : Identifier.LINEAR;
        try (NDManager m = DjlRuntime.manager()) {
            var opts = IdentifierTrainer.Options.of(hidden, o.epochs(), o.seed());
            java.util.function.Consumer<Identifier> save = saveTo == null ? null : net -> SavedIdentifier.save(net,
                    new SavedIdentifier.Info(model.id(), tracelens.provenance.Provenance.modelDigest(model.id()), o.layer(),
                            SavedIdentifier.tokenRows(o.ngram(), "sip identify"), sources, hidden, opts.layerNorm(), net.inputs(), null,
                            net.activation()), saveTo);
            logits = IdentifierTrainer.trainAndPredict(m, trainX.toArray(float[][]::new), trainY.stream().mapToInt(Integer::intValue).toArray(),
                    evalX.toArray(float[][]::new), k, opts, progress, save).testLogits();
        }
        float[] testLogits = java.util.Arrays.copyOf(logits, nTest * k);
        double acc = nTest == 0 ? Double.NaN : Metrics.accuracy(testLogits, evalY.stream().mapToInt(Integer::intValue).toArray(), k);
        return new Result(sources, acc, trainX.size(), nTest, text, label(model, query, logits, nTest, k, o));
    }

    /**
     * Labels {@code text} with a saved token-level identifier (from an earlier {@code sip identify} or from
     * {@code sip train --input unigram|bigram|trigram}) without training: its layer and n-gram size are the ones it
     * was trained on; it must have been trained on this model's weights. The held-out accuracy is unknown (NaN).
     */
    public static Result apply(HiddenStateModel model, Path identifier, String text, Options o, Progress progress) {
        SavedIdentifier.Info info = SavedIdentifier.info(identifier);
        int ngram = SavedIdentifier.tokenRowsNgram(info.features());
        if (ngram < 1) {
            throw InvalidInputException.at(identifier, "reads '" + info.features() + "', not token n-gram rows; sip identify applies"
                    + " identifiers saved by sip identify or by sip train --input unigram|bigram|trigram");
        }
        SavedIdentifier.checkModel(identifier, info, model.id());
        if (info.layer() < 0 || info.layer() > model.numLayers()) {
            throw InvalidInputException.at(identifier, "reads layer " + info.layer() + ", which " + model.id() + " does not have");
        }
        if (info.inputs() != ngram * model.hiddenSize()) {
            throw InvalidInputException.at(identifier, "reads " + info.inputs() + " values a row; " + ngram + "-gram rows of "
                    + model.id() + " have " + ngram * model.hiddenSize());
        }
        Options used = new Options(info.layer(), ngram, o.maxLength(), o.epochs(), info.hidden().length > 0, o.threshold(),
                o.confidence(), o.seed());
        progress.start("token states", 1);
        TokenRows.Text query = TokenRows.of(model, List.of(text), used.layer(), ngram, used.maxLength(), 1).get(0);
        progress.end();
        int k = info.sources().size();
        float[] logits;
        try (NDManager m = DjlRuntime.manager(); Identifier net = SavedIdentifier.load(m, identifier)) {
            float[][] rows = query.rows();
            float[] flat = new float[rows.length * info.inputs()];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(rows[i], 0, flat, i * info.inputs(), info.inputs());
            }
            logits = rows.length == 0 ? new float[0]
                    : net.forward(m.create(flat, new ai.djl.ndarray.types.Shape(rows.length, info.inputs()))).toFloatArray();
        }
        return new Result(info.sources(), Double.NaN, 0, 0, text, label(model, query, logits, 0, k, used));
    }

    /** Each token of {@code query} labelled from its row's logits (starting at row {@code offset} of {@code logits}). */
    private static List<TokenLabel> label(HiddenStateModel model, TokenRows.Text query, float[] logits, int offset, int k, Options o) {
        List<TokenLabel> tokens = new ArrayList<>();
        long[] ids = query.ids();
        String[] pieces = model.tokenizer().pieces(ids);
        for (int t = 0; t < ids.length; t++) {
            String piece = pieces[t];
            if (t >= query.rows().length) {
                tokens.add(new TokenLabel(piece, ids[t], -1, 0));
                continue;
            }
            int base = (offset + t) * k;
            int best = 0;
            for (int c = 1; c < k; c++) {
                if (logits[base + c] > logits[base + best]) {
                    best = c;
                }
            }
            double conf = confidence(logits, base, k, best, o.confidence());
            tokens.add(new TokenLabel(piece, ids[t], conf < o.threshold() ? -1 : best, conf));
        }
        return tokens;
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
