package tracelens.pifi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import tracelens.error.InvalidInputException;
import tracelens.finetune.TaskData;
import tracelens.losses.CrossEntropy;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.progress.Progress;
import tracelens.sip.Metrics;
import tracelens.train.Adam;
import tracelens.train.LrSchedule;
import tracelens.train.TrainingLoop;

/**
 * PiFi's training recipe (pifi_ilm.md §2) on the shared training loop: Adam (lr 5e-5, no weight decay, no scheduler),
 * cross-entropy with label smoothing 0.05, global gradient-norm clipping at 5, batch 32, 3 epochs, head dropout 0.2,
 * the epoch with the best validation accuracy kept (the first on ties; patience 5). Metrics are corpus-level (the
 * original averages per-batch values).
 */
public final class PiFiTrainer {
    public record Options(int epochs, int batchSize, double lr, float labelSmoothing, double clip, int patience, int maxTokens,
            long seed) {
        public Options {
            if (epochs <= 0 || batchSize <= 0 || !(lr > 0) || !(clip > 0) || maxTokens < 2) {
                throw new InvalidInputException("epochs, batch size, learning rate and clip must be positive, max tokens at least 2");
            }
            if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
                throw InvalidInputException.field("label_smoothing", " must be in [0, 1), found " + labelSmoothing);
            }
        }

        public static Options defaults() {
            return new Options(3, 32, 5e-5, 0.05f, 5.0, 5, 100, 2023);
        }
    }

    /** Train, validation (picks the epoch) and test examples. */
    public record Split(List<TaskData.Example> train, List<TaskData.Example> validation, List<TaskData.Example> test) {}

    public record Epoch(int epoch, double trainLoss, double validationAccuracy, double seconds) {}

    /** {@code testMacroF1Ci95}: the 95% bootstrap interval of the test macro-F1 (Metrics.macroF1Interval). */
    public record Result(List<Epoch> epochs, int bestEpoch, double validationAccuracy, double testAccuracy, double testMacroF1,
            int steps, long trainableParameters, long frozenParameters, double[] testMacroF1Ci95) {}

    private PiFiTrainer() {}

    public static Result train(NDManager m, PiFiModel model, TextTokenizer tok, Split split, int classes, Options o,
            Progress progress, Consumer<String> log) {
        if (split.train().isEmpty() || split.validation().isEmpty() || split.test().isEmpty()) {
            throw new InvalidInputException("PiFi needs training, validation and test examples, found " + split.train().size()
                    + ", " + split.validation().size() + " and " + split.test().size());
        }
        List<TextTokenizer.Tokens> train = encode(tok, split.train(), o.maxTokens());
        int[] trainY = split.train().stream().mapToInt(TaskData.Example::label).toArray();
        Adam adam = new Adam(m, model.parameters().trainable(), 0, o.clip());
        TrainingLoop.Settings settings = new TrainingLoop.Settings(o.epochs(), o.batchSize(), o.lr(), LrSchedule.constant(),
                o.patience(), true, true, true, model.method().name().toLowerCase(), List.of("loss"), "lower --lr");
        TrainingLoop.StepLoss loss = (scope, idx) -> {
            TokenBatch batch = batch(tok, train, idx);
            int[] y = Arrays.stream(idx).map(i -> trainY[i]).toArray();
            return List.of(CrossEntropy.mean(model.forward(scope, batch), y, o.labelSmoothing()));
        };
        List<Epoch> epochs = new ArrayList<>();
        TrainingLoop.Validation validation = terms -> {
            model.setTraining(false);
            try {
                return evaluate(m, model, tok, split.validation(), classes, o, progress)[0];
            } finally {
                model.setTraining(true);
            }
        };
        TrainingLoop.Listeners listeners = new TrainingLoop.Listeners(TrainingLoop.EpochStart.NONE, v -> {},
                e -> epochs.add(new Epoch(e.epoch(), e.meanTerms()[0], e.validation(), e.seconds())), log);
        int[] rows = new int[train.size()];
        Arrays.setAll(rows, i -> i);
        model.setTraining(true);
        TrainingLoop.Result r;
        try {
            r = TrainingLoop.run(m, model.parameters(), adam, rows, new Random(o.seed()), settings, loss, validation, listeners, progress);
        } finally {
            model.setTraining(false);
        }
        double[] test = evaluate(m, model, tok, split.test(), classes, o, progress);
        return new Result(epochs, r.bestEpoch(), r.bestValidation(), test[0], test[1], r.steps(),
                model.parameters().count(true), model.parameters().count(false) - model.parameters().count(true), new double[] {test[2], test[3]});
    }

    /** Accuracy, macro-F1 and macro-F1's 95% bootstrap interval of {@code data} (eval mode, batches of 64). */
    static double[] evaluate(NDManager m, PiFiModel model, TextTokenizer tok, List<TaskData.Example> data, int classes, Options o,
            Progress progress) {
        List<TextTokenizer.Tokens> tokens = encode(tok, data, o.maxTokens());
        int[] y = data.stream().mapToInt(TaskData.Example::label).toArray();
        float[] logits = new float[data.size() * classes];
        progress.start("evaluating", data.size());
        try {
            for (int from = 0; from < data.size(); from += 64) {
                int[] idx = new int[Math.min(64, data.size() - from)];
                int first = from;
                Arrays.setAll(idx, i -> first + i);
                try (NDManager scope = m.newSubManager()) {
                    NDArray z = model.forward(scope, batch(tok, tokens, idx));
                    System.arraycopy(z.toFloatArray(), 0, logits, from * classes, idx.length * classes);
                }
                progress.advance(idx.length);
            }
        } finally {
            progress.end();
        }
        int[] predicted = Metrics.argmax(logits, classes);
        double[] ci = Metrics.macroF1Interval(predicted, y, classes, Metrics.BOOTSTRAP_RESAMPLES, o.seed());
        return new double[] {Metrics.accuracy(logits, y, classes), Metrics.macroF1(predicted, y, classes), ci[0], ci[1]};
    }

    private static List<TextTokenizer.Tokens> encode(TextTokenizer tok, List<TaskData.Example> data, int maxTokens) {
        return data.stream().map(e -> tok.encode(e.text(), maxTokens)).toList();
    }

    private static TokenBatch batch(TextTokenizer tok, List<TextTokenizer.Tokens> tokens, int[] idx) {
        List<TextTokenizer.Tokens> rows = new ArrayList<>(idx.length);
        for (int i : idx) {
            rows.add(tokens.get(i));
        }
        return TokenBatch.of(rows, tok.padId(), false);
    }

    /**
     * The original's splits: SST-2 train / dev / test.tsv, TweetEval train / validation / test; other tasks hold out the
     * first 20% of the training set shuffled with the seed as validation and test on the task's evaluation split.
     */
    public static Split split(String task, TaskData data, java.nio.file.Path dataRoot, long seed) {
        List<TaskData.Example> test = TaskData.BUILT_IN.contains(task) ? TaskData.test(task, dataRoot) : null;
        if (test != null) {
            return new Split(data.train(), data.dev(), test);
        }
        List<TaskData.Example> shuffled = new ArrayList<>(data.train());
        java.util.Collections.shuffle(shuffled, new Random(seed));
        int cut = Math.max(1, shuffled.size() / 5);
        return new Split(List.copyOf(shuffled.subList(cut, shuffled.size())), List.copyOf(shuffled.subList(0, cut)), data.dev());
    }
}
