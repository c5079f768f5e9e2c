package tracelens.cnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import tracelens.losses.CrossEntropy;
import tracelens.nn.Hooks;
import tracelens.progress.Progress;
import tracelens.train.Adam;
import tracelens.train.LrSchedule;
import tracelens.train.TrainingLoop;

/**
 * Trains a CNN classifier on canvases with the shared training loop: Adam, cross-entropy, seeded batches, batch norm
 * on batch statistics while training (running statistics updated, used for validation and afterwards), the epoch
 * with the best validation accuracy kept.
 */
public final class CnnTrainer {
    /** {@code headOnly}: only the final layer learns, the rest stays frozen in evaluation mode (transfer learning). */
    public record Options(int epochs, int batchSize, double lr, double weightDecay, long seed, boolean headOnly) {}

    public record Epoch(int epoch, double loss, double validationAccuracy, double seconds) {}

    public record Result(List<Epoch> epochs, int bestEpoch, double validationAccuracy, double testAccuracy) {}

    private CnnTrainer() {}

    public static Result train(NDManager m, Cnn cnn, List<MnistCanvas.Image> train, List<MnistCanvas.Image> validation,
            List<MnistCanvas.Image> test, int size, Options o, Progress progress, Consumer<String> log) {
        if (o.headOnly()) {
            for (String name : cnn.parameters().asMap().keySet()) {
                cnn.parameters().setTrainable(name, name.startsWith(cnn.headName() + "."));
            }
        }
        Adam adam = new Adam(m, cnn.parameters().trainable(), o.weightDecay(), 5.0);
        TrainingLoop.Settings s = new TrainingLoop.Settings(o.epochs(), o.batchSize(), o.lr(), LrSchedule.constant(), 0, true, true,
                true, "train-cnn", List.of("loss"), "lower --lr");
        int[] labels = train.stream().mapToInt(MnistCanvas.Image::label).toArray();
        TrainingLoop.StepLoss loss = (scope, idx) -> {
            NDArray x = CanvasData.batch(scope, train, idx, size);
            int[] y = Arrays.stream(idx).map(i -> labels[i]).toArray();
            return List.of(CrossEntropy.mean(cnn.forward(x, Hooks.none(scope)), y, 0f));
        };
        List<Epoch> epochs = new ArrayList<>();
        TrainingLoop.Listeners listeners = new TrainingLoop.Listeners(TrainingLoop.EpochStart.NONE, v -> {},
                e -> epochs.add(new Epoch(e.epoch(), e.meanTerms()[0], e.validation(), e.seconds())), log);
        int[] rows = new int[train.size()];
        Arrays.setAll(rows, i -> i);
        cnn.setTraining(!o.headOnly());
        TrainingLoop.Result r;
        try {
            r = TrainingLoop.run(m, cnn.parameters(), adam, rows, new Random(o.seed()), s, loss, terms -> {
                cnn.setTraining(false);
                try {
                    return accuracy(m, cnn, validation, size);
                } finally {
                    cnn.setTraining(!o.headOnly());
                }
            }, listeners, progress);
        } finally {
            cnn.setTraining(false);
        }
        return new Result(epochs, r.bestEpoch(), r.bestValidation(), accuracy(m, cnn, test, size));
    }

    public static double accuracy(NDManager m, Cnn cnn, List<MnistCanvas.Image> images, int size) {
        int correct = 0;
        for (int from = 0; from < images.size(); from += 128) {
            int[] idx = new int[Math.min(128, images.size() - from)];
            int first = from;
            Arrays.setAll(idx, i -> first + i);
            try (NDManager scope = m.newSubManager()) {
                NDArray z = cnn.forward(CanvasData.batch(scope, images, idx, size), Hooks.none(scope));
                long[] pred = z.argMax(1).toLongArray();
                for (int i = 0; i < idx.length; i++) {
                    correct += pred[i] == images.get(idx[i]).label() ? 1 : 0;
                }
            }
        }
        return (double) correct / images.size();
    }
}
