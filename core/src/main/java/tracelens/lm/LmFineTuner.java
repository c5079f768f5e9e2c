package tracelens.lm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import tracelens.error.InvalidInputException;
import tracelens.model.decoder.Decoder;
import tracelens.nn.Hooks;
import tracelens.progress.Progress;
import tracelens.train.Adam;
import tracelens.train.LrSchedule;
import tracelens.train.TrainingLoop;

/**
 * Causal language-model fine-tuning through the shared training loop: every parameter trainable, the mean
 * next-token cross-entropy over the real tokens of each batch (padding masked), Adam with clipping, a linear
 * warm-up and decay. Texts are tokenised as generation encodes prompts (BOS first where the tokenizer adds one)
 * and cut at {@code maxLength} tokens.
 */
public final class LmFineTuner {
    public record Options(int epochs, int batchSize, double lr, int maxLength, long seed) {}

    public record Result(List<TrainingLoop.Epoch> epochs, int tokens) {}

    private LmFineTuner() {}

    public static Result train(NDManager m, Decoder model, List<String> texts, Options o, Progress progress, Consumer<String> log) {
        List<long[]> rows = new ArrayList<>();
        int tokens = 0;
        for (String t : texts) {
            long[] ids = model.tokenizer().encode(t, Math.min(o.maxLength(), model.maxPositions())).ids();
            if (ids.length >= 2) {
                rows.add(ids);
                tokens += ids.length;
            }
        }
        if (rows.isEmpty()) {
            throw new InvalidInputException("no text has two or more tokens to learn from");
        }
        Adam adam = new Adam(m, model.parameters().trainable(), 0, 1.0);
        TrainingLoop.Settings s = new TrainingLoop.Settings(o.epochs(), o.batchSize(), o.lr(), LrSchedule.warmupLinear(0.1), 0, false,
                false, true, "finetune-lm", List.of("loss"), "lower --lr");
        int[] all = new int[rows.size()];
        Arrays.setAll(all, i -> i);
        List<TrainingLoop.Epoch> epochs = new ArrayList<>();
        TrainingLoop.run(m, model.parameters(), adam, all, new Random(o.seed()), s, (scope, idx) -> List.of(loss(scope, model, rows, idx)),
                null, new TrainingLoop.Listeners(TrainingLoop.EpochStart.NONE, v -> {}, epochs::add, log), progress);
        model.parameters().trainable().forEach(p -> p.setRequiresGradient(false));
        return new Result(epochs, tokens);
    }

    /** Mean next-token cross-entropy of rows {@code idx}, right-padded to the longest. */
    static NDArray loss(NDManager scope, Decoder model, List<long[]> rows, int[] idx) {
        int b = idx.length;
        int t = 0;
        for (int i : idx) {
            t = Math.max(t, rows.get(i).length);
        }
        long[] ids = new long[b * t];
        long[] positions = new long[b * t];
        long[] mask = new long[b * t];
        float[] targetMask = new float[b * (t - 1)];
        for (int r = 0; r < b; r++) {
            long[] row = rows.get(idx[r]);
            System.arraycopy(row, 0, ids, r * t, row.length);
            java.util.Arrays.fill(mask, r * t, r * t + row.length, 1);
            java.util.Arrays.fill(targetMask, r * (t - 1), r * (t - 1) + row.length - 1, 1);
            for (int j = 0; j < t; j++) {
                positions[r * t + j] = j;
            }
        }
        NDArray picked = Perplexity.nextTokenLogProbs(scope, model, b, t, ids, positions, mask);
        NDArray w = scope.create(targetMask, new Shape(b, t - 1));
        return picked.mul(w).sum().neg().div(w.sum());
    }
}
