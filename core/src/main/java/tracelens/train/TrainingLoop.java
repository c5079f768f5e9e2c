package tracelens.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Consumer;
import tracelens.error.InvalidInputException;
import tracelens.error.NumericalFailureException;
import tracelens.nn.Parameters;
import tracelens.progress.Progress;
import tracelens.random.Permutation;

/**
 * The one training loop of tracelens (identifiers, fine-tuning, PiFi, CNNs, marking): every epoch a seeded permutation
 * of the training rows cut into batches; per batch the loss terms under a gradient collector, a divergence check, and
 * an {@link Adam} update at the scheduled learning rate (clipping is the optimiser's); after every epoch an optional
 * validation score, early stopping after {@code patience} epochs without a better one, and at the end the parameters
 * of the best epoch restored. Progress goes per batch (few long epochs) or per epoch (many short ones).
 */
public final class TrainingLoop {
    /** What one step computes, under the collector: the loss terms (their sum is minimised, each is reported). */
    @FunctionalInterface
    public interface StepLoss {
        List<NDArray> terms(NDManager scope, int[] rows);
    }

    /** Called before each epoch's batches with the epoch (1-based) and its rows in batch order. */
    @FunctionalInterface
    public interface EpochStart {
        void accept(int epoch, int[] rowsInOrder);

        EpochStart NONE = (e, r) -> {};
    }

    /**
     * The validation score after an epoch, given the epoch's mean loss terms; {@link Settings#higherIsBetter} says which
     * way is better.
     */
    @FunctionalInterface
    public interface Validation {
        double score(double[] meanTerms);
    }

    /**
     * Optional hooks of a run: before each epoch, after each step (with its loss terms), after each epoch; {@code log}
     * receives a one-line summary of every epoch (null: none).
     */
    public record Listeners(EpochStart onEpochStart, Consumer<double[]> afterStep, Consumer<Epoch> onEpochEnd, Consumer<String> log) {
        public static final Listeners NONE = new Listeners(EpochStart.NONE, v -> {}, e -> {}, null);
    }

    /**
     * @param patience stop after this many epochs without a better validation score (0: never stop early)
     * @param restoreBest put back the parameters of the best epoch at the end (needs a validation)
     * @param perBatchProgress progress per batch within each epoch, else one task advanced per epoch
     * @param termNames names of the loss terms for divergence messages ("loss" for one term)
     * @param advice what to try when training diverges, appended to the error
     */
    public record Settings(int epochs, int batchSize, double lr, LrSchedule schedule, int patience, boolean higherIsBetter,
            boolean restoreBest, boolean perBatchProgress, String label, List<String> termNames, String advice) {
        /** Constant learning rate, no validation, per-epoch progress: the plain loop. */
        public static Settings of(int epochs, int batchSize, double lr) {
            return new Settings(epochs, batchSize, lr, LrSchedule.constant(), 0, false, false, false, "training", List.of("loss"), "");
        }

        public Settings {
            if (epochs <= 0 || batchSize <= 0 || !(lr > 0) || patience < 0) {
                throw new InvalidInputException("epochs, batch size and learning rate must be positive, patience at least 0");
            }
        }
    }

    /** One epoch: the mean of each loss term over its batches, the validation score (NaN without one), seconds. */
    public record Epoch(int epoch, double[] meanTerms, double validation, double seconds) {}

    /** {@code bestEpoch} is 1-based (0 without validation, or when no epoch scored a number). */
    public record Result(List<Epoch> epochs, int bestEpoch, double bestValidation, int steps) {
        public double[] meanTerm(int k) {
            return epochs.stream().mapToDouble(e -> e.meanTerms()[k]).toArray();
        }
    }

    private TrainingLoop() {}

    /** Trains without validation, listeners or progress. */
    public static Result run(NDManager m, Parameters params, Optimizer adam, int[] rows, Random random, Settings s, StepLoss loss) {
        return run(m, params, adam, rows, random, s, loss, null, Listeners.NONE, Progress.NONE);
    }

    /**
     * Trains {@code params}' trainable arrays on {@code rows}. {@code random} draws the epoch permutations (the caller
     * may have drawn from it before, e.g. for initialisation). Temporaries of each step live in a scope under {@code m}.
     */
    public static Result run(NDManager m, Parameters params, Optimizer adam, int[] rows, Random random, Settings s, StepLoss loss,
            Validation validation, Listeners listeners, Progress progress) {
        if (rows.length == 0) {
            throw new InvalidInputException("no training samples");
        }
        int perEpoch = (rows.length + s.batchSize() - 1) / s.batchSize();
        int total = perEpoch * s.epochs();
        List<NDArray> trainable = params.trainable();
        trainable.forEach(p -> p.setRequiresGradient(true));
        List<Epoch> epochs = new ArrayList<>();
        List<float[]> best = validation != null && s.restoreBest() ? params.snapshot() : null;
        double bestScore = s.higherIsBetter() ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        int bestEpoch = 0;
        int step = 0;
        if (!s.perBatchProgress()) {
            progress.start(s.label(), s.epochs());
        }
        try {
            for (int epoch = 1; epoch <= s.epochs(); epoch++) {
                long start = System.nanoTime();
                int[] order = Permutation.of(rows.length, random);
                int[] inOrder = new int[rows.length];
                for (int i = 0; i < rows.length; i++) {
                    inOrder[i] = rows[order[i]];
                }
                listeners.onEpochStart().accept(epoch, inOrder);
                if (s.perBatchProgress()) {
                    progress.start(String.format(Locale.ROOT, "%s epoch %d/%d", s.label(), epoch, s.epochs()), perEpoch);
                }
                double[] sums = null;
                int batches = 0;
                for (int from = 0; from < inOrder.length; from += s.batchSize()) {
                    int[] idx = Arrays.copyOfRange(inOrder, from, Math.min(inOrder.length, from + s.batchSize()));
                    double lr = s.lr() * s.schedule().multiplier(step, total);
                    double[] values = step(m, params, adam, loss, idx, lr, step, epoch, s);
                    listeners.afterStep().accept(values);
                    if (sums == null) {
                        sums = new double[values.length];
                    }
                    for (int k = 0; k < values.length; k++) {
                        sums[k] += values[k];
                    }
                    step++;
                    batches++;
                    if (s.perBatchProgress()) {
                        progress.advance(1);
                    }
                }
                if (s.perBatchProgress()) {
                    progress.end();
                }
                for (int k = 0; k < sums.length; k++) {
                    sums[k] /= batches;
                }
                double score = validation == null ? Double.NaN : validation.score(sums);
                Epoch e = new Epoch(epoch, sums, score, (System.nanoTime() - start) / 1e9);
                epochs.add(e);
                if (!s.perBatchProgress()) {
                    progress.advance(1);
                }
                listeners.onEpochEnd().accept(e);
                if (listeners.log() != null) {
                    listeners.log().accept(describe(e, s));
                }
                if (validation == null) {
                    continue;
                }
                if (s.higherIsBetter() ? score > bestScore : score < bestScore) { // NaN is never better
                    bestScore = score;
                    bestEpoch = epoch;
                    if (best != null) {
                        best = params.snapshot();
                    }
                } else if (s.patience() > 0 && epoch - bestEpoch >= s.patience()) {
                    break;
                }
            }
        } finally {
            if (!s.perBatchProgress()) {
                progress.end();
            }
            trainable.forEach(p -> p.setRequiresGradient(false));
        }
        if (best != null) {
            params.restore(best);
        }
        return new Result(epochs, bestEpoch, bestScore, step);
    }

    private static volatile boolean collectBeforeBackward;

    /**
     * For tests: run a garbage collection between every forward pass and its backward pass, so that an operand the
     * autograd graph reads without owning (a zero-copy Java buffer whose array was closed) is freed before backward reads
     * it, and the flake it would cause becomes a wrong number every time.
     */
    public static void collectBeforeBackward(boolean on) {
        collectBeforeBackward = on;
    }

    private static double[] step(NDManager m, Parameters params, Optimizer adam, StepLoss loss, int[] idx, double lr, int step, int epoch,
            Settings s) {
        try (NDManager scope = m.newSubManager()) {
            double[] values;
            try (tracelens.nn.Autograd gc = tracelens.nn.Autograd.record()) {
                List<NDArray> terms = loss.terms(scope, idx);
                NDArray sum = terms.get(0);
                for (int k = 1; k < terms.size(); k++) {
                    sum = sum.add(terms.get(k));
                }
                if (collectBeforeBackward) {
                    System.gc(); // frees any Java buffer the graph still reads without owning it (see nn.Scalars)
                }
                gc.backward(sum);
                values = new double[terms.size()];
                for (int k = 0; k < values.length; k++) {
                    values[k] = terms.get(k).getFloat();
                }
            }
            for (int k = 0; k < values.length; k++) {
                if (!Double.isFinite(values[k])) {
                    throw diverged(step, epoch, s, s.termNames().get(k) + " " + values[k] + NonFinite.weights(params));
                }
            }
            double norm = adam.step(scope, lr);
            if (!Double.isFinite(norm)) {
                throw diverged(step, epoch, s, "the gradient norm is " + norm + NonFinite.gradients(params) + NonFinite.weights(params));
            }
            return values;
        }
    }

    private static NumericalFailureException diverged(int step, int epoch, Settings s, String what) {
        return new NumericalFailureException(String.format(Locale.ROOT, "%s diverged at step %d (epoch %d): %s%s", s.label(),
                step + 1, epoch, what, s.advice().isEmpty() ? "" : "; " + s.advice()));
    }

    private static String describe(Epoch e, Settings s) {
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s epoch %d:", s.label(), e.epoch()));
        for (int k = 0; k < e.meanTerms().length; k++) {
            b.append(String.format(Locale.ROOT, "%s %s %.4f", k == 0 ? "" : ",", s.termNames().get(k), e.meanTerms()[k]));
        }
        if (!Double.isNaN(e.validation())) {
            b.append(String.format(Locale.ROOT, ", validation %.4f", e.validation()));
        }
        return b.append(String.format(Locale.ROOT, " (%.0f s)", e.seconds())).toString();
    }
}
