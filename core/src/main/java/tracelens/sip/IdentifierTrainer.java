package tracelens.sip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import tracelens.error.InvalidInputException;
import tracelens.progress.Progress;
import tracelens.losses.Bce;
import tracelens.losses.CrossEntropy;
import tracelens.train.LrSchedule;
import tracelens.train.TrainingLoop;

/**
 * Trains an {@link Identifier} as the SIP code does (spec sip.md §4-5): BCE with logits over one-hot targets, Adam
 * (lr 1e-3, betas 0.9/0.999, eps 1e-8, PyTorch's update form), a linear schedule with one warm-up step (update k
 * uses multiplier m(k-1), m(s) = s for s < 1 else max(0, (S-s)/(S-1))), global gradient-norm clipping at 5, and a
 * seeded shuffle every epoch. Early stopping: a stratified tenth of the training rows is held out for validation;
 * the parameters of the epoch with the lowest validation loss are kept, and training stops after {@code patience}
 * epochs without improvement. (Loss, not accuracy: with one-hot BCE over many sources the loss first falls by
 * pushing every output down while accuracy sits at chance for many epochs, so accuracy would stop training early.)
 */
public final class IdentifierTrainer {
    /** The training loss: BCE over one-hot (default), softmax cross-entropy, or BCE over binary-hash codes. */
    public enum Loss { BCE, CE, HASH, MULTILABEL;
        public static Loss parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "bce" -> BCE;
                case "ce" -> CE;
                case "hash", "binary-hash" -> HASH;
                case "multilabel", "multi-label" -> MULTILABEL;
                default -> throw InvalidInputException.field("loss", " must be bce, ce, hash or multilabel, found '" + s + "'");
            };
        }
    }

    /**
     * How identifiers are trained. TRACELENS (the default): a stratified validation tenth, the best epoch's weights,
     * early stopping. ORIGINAL: as the SIP code (sip.md §5): every training row gets gradient, exactly the epoch budget,
     * the final weights.
     */
    public enum Protocol {
        TRACELENS, ORIGINAL;

        public static Protocol parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "tracelens" -> TRACELENS;
                case "original" -> ORIGINAL;
                default -> throw InvalidInputException.field("protocol", " must be tracelens or original, found '" + s + "'");
            };
        }
    }

    /**
     * {@code layerNorm}: a learnable LayerNorm on the input (gamma 1, beta 0, eps 1e-5), as SIP's sentence mode;
     * {@code warmupSteps}: of the linear schedule (the original's default 1).
     */
    public record Options(int[] hidden, int epochs, int batchSize, double lr, double clip, int patience, long seed, Loss loss,
            boolean layerNorm, Protocol protocol, tracelens.train.Optimizer.Kind optimizer, Identifier.Act activation, int warmupSteps) {
        public Options(int[] hidden, int epochs, int batchSize, double lr, double clip, int patience, long seed) {
            this(hidden, epochs, batchSize, lr, clip, patience, seed, Loss.BCE, false);
        }

        public Options(int[] hidden, int epochs, int batchSize, double lr, double clip, int patience, long seed, Loss loss,
                boolean layerNorm) {
            this(hidden, epochs, batchSize, lr, clip, patience, seed, loss, layerNorm, Protocol.TRACELENS,
                    tracelens.train.Optimizer.Kind.ADAM, Identifier.Act.RELU, 1);
        }

        public Options(int[] hidden, int epochs, int batchSize, double lr, double clip, int patience, long seed, Loss loss) {
            this(hidden, epochs, batchSize, lr, clip, patience, seed, loss, false);
        }

        public Options {
            if (epochs <= 0 || batchSize <= 0 || !(lr > 0) || !(clip > 0) || patience <= 0) {
                throw new InvalidInputException("epochs, batch size, learning rate, clip and patience must be positive");
            }
            if (warmupSteps < 0) {
                throw InvalidInputException.field("warmup_steps", " must be at least 0, found " + warmupSteps);
            }
        }

        /** SIP's optimiser settings with the given architecture, epoch budget and patience 20. */
        public static Options of(int[] hidden, int epochs, long seed) {
            return new Options(hidden, epochs, 64, 1e-3, 5.0, 20, seed, Loss.BCE);
        }

        public Options withLoss(Loss l) {
            return new Options(hidden, epochs, batchSize, lr, clip, patience, seed, l, layerNorm, protocol, optimizer, activation, warmupSteps);
        }

        /** The protocol, optimiser, hidden-layer activation and warm-up steps. */
        public Options with(Protocol p, tracelens.train.Optimizer.Kind opt, Identifier.Act act, int warmup) {
            return new Options(hidden, epochs, batchSize, lr, clip, patience, seed, loss, layerNorm, p, opt, act, warmup);
        }
    }

    /** A trained identifier's scores: held-out logits (N, K) row-major and the training history. */
    public record Result(float[] testLogits, int classes, int epochsRun, int bestEpoch, double bestValidationLoss,
            double[] trainLoss) {}

    private IdentifierTrainer() {}

    /** Trains on (trainX, trainY) and returns the logits of testX. Labels are 0..classes-1. */
    public static Result trainAndPredict(NDManager parent, float[][] trainX, int[] trainY, float[][] testX, int classes,
            Options o, Progress progress) {
        return trainAndPredict(parent, trainX, trainY, testX, classes, o, progress, null);
    }

    /** As above; {@code trained} (may be null) sees the trained identifier before it is closed, e.g. to save it. */
    public static Result trainAndPredict(NDManager parent, float[][] trainX, int[] trainY, float[][] testX, int classes,
            Options o, Progress progress, java.util.function.Consumer<Identifier> trained) {
        if (trainX.length == 0) {
            throw new InvalidInputException("no training samples");
        }
        try (NDManager m = parent.newSubManager()) {
            int[][] sets = new int[trainY.length][];
            for (int i = 0; i < sets.length; i++) {
                sets[i] = new int[] {trainY[i]};
            }
            int[] all = new int[trainX.length];
            java.util.Arrays.setAll(all, i -> i);
            try (Fitted f = fit(m, Features.of(m, trainX), sets, all, classes, o, progress)) {
                if (trained != null) {
                    trained.accept(f.net());
                }
                float[] test = new float[0];
                if (testX.length > 0) {
                    int[] rows = new int[testX.length];
                    java.util.Arrays.setAll(rows, i -> i);
                    test = f.logits(m, Features.of(m, testX), rows);
                }
                if (o.loss() == Loss.HASH) {
                    test = BinaryHash.toScores(test, classes); // class scores from the decoded codes
                }
                return new Result(test, classes, f.epochsRun(), f.bestEpoch(), f.bestValidationLoss(), f.trainLoss());
            }
        }
    }

    /** A trained identifier (the best epoch's parameters) and its history; close it to free the parameters. */
    public record Fitted(Identifier net, int epochsRun, int bestEpoch, double bestValidationLoss, double[] trainLoss, Loss loss,
            int batchSize) implements AutoCloseable {
        /** Raw outputs (rows.length, outputs) row-major, computed in batches. */
        public float[] logits(NDManager m, Features x, int[] rows) {
            int k = net.outputs();
            float[] out = new float[rows.length * k];
            forEachBatch(m, x, rows, (from, z) -> System.arraycopy(z, 0, out, from * k, z.length));
            return out;
        }

        /** Streams the outputs batch by batch: {@code sink(first row offset, logits of the batch)}. */
        public void forEachBatch(NDManager m, Features x, int[] rows, java.util.function.BiConsumer<Integer, float[]> sink) {
            int step = Math.max(batchSize, 1024);
            for (int from = 0; from < rows.length; from += step) {
                int[] idx = Arrays.copyOfRange(rows, from, Math.min(rows.length, from + step));
                try (NDManager scope = m.newSubManager()) {
                    sink.accept(from, net.forward(x.batch(scope, idx)).toFloatArray());
                }
            }
        }

        @Override
        public void close() {
            net.close();
        }
    }

    /**
     * Trains on rows {@code train} of {@code x}; {@code labelSets[row]} holds the row's classes (one, except for the
     * multi-label loss, whose targets are the multi-hot sets). A stratified tenth of the rows (by first label) is held
     * out for early stopping. Batches are gathered from {@code x} step by step, so x may be larger than the heap.
     */
    public static Fitted fit(NDManager parent, Features x, int[][] labelSets, int[] train, int classes, Options o, Progress progress) {
        if (train.length == 0) {
            throw new InvalidInputException("no training samples");
        }
        Random random = new Random(o.seed());
        boolean original = o.protocol() == Protocol.ORIGINAL;
        int[] fit = train;
        int[] val = new int[0];
        if (!original) { // the original trains on every row for the whole budget and keeps the final weights
            int[] first = new int[train.length];
            for (int i = 0; i < train.length; i++) {
                first[i] = labelSets[train[i]][0];
            }
            int[][] split = validationSplit(first, classes, random);
            fit = pick(train, split[0]);
            val = pick(train, split[1]);
        }
        int outputs = o.loss() == Loss.HASH ? BinaryHash.bits(classes) : classes;
        Identifier net = new Identifier(parent, x.dim(), o.hidden(), outputs, o.seed(), o.layerNorm(), o.activation());
        try {
            return fit(parent, net, x, labelSets, fit, val, random, classes, o, progress);
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
    }

    /**
     * Trains {@code net} (already initialised) on rows {@code fit} with the epoch permutations drawn from {@code random},
     * validating on {@code val} (none: the epoch's training loss is reported instead). Tests give a reference
     * initialisation this way.
     */
    static Fitted fit(NDManager parent, Identifier net, Features x, int[][] labelSets, int[] fit, int[] val, Random random, int classes,
            Options o, Progress progress) {
        boolean original = o.protocol() == Protocol.ORIGINAL;
        int outputs = net.outputs();
        tracelens.train.Optimizer optimizer = o.optimizer().create(net.manager(), net.parameters().trainable(), o.clip());
        TrainingLoop.Settings settings = new TrainingLoop.Settings(o.epochs(), o.batchSize(), o.lr(), LrSchedule.sipLinear(o.warmupSteps()),
                original ? 0 : o.patience(), false, !original, false, "training", List.of("loss"), "lower --lr");
        TrainingLoop.StepLoss loss = (scope, idx) -> {
            NDArray by = scope.create(targets(labelSets, idx, classes, o.loss()), new Shape(idx.length, outputs));
            NDArray z = net.forward(x.batch(scope, idx));
            return List.of(o.loss() == Loss.CE ? CrossEntropy.mean(z, by) : Bce.mean(z, by));
        };
        // the validation tenth's loss; without one, the epoch's training loss
        TrainingLoop.Validation validation = terms -> val.length == 0 ? terms[0] : validationLoss(parent, net, x, labelSets, val, classes, o);
        TrainingLoop.Result r = TrainingLoop.run(parent, net.parameters(), optimizer, fit, random, settings, loss, validation,
                TrainingLoop.Listeners.NONE, progress);
        return new Fitted(net, r.epochs().size(), original ? r.epochs().size() : r.bestEpoch(), r.bestValidation(), r.meanTerm(0),
                o.loss(), o.batchSize());
    }

    /** Targets (rows, outputs): one-hot (BCE, CE), multi-hot (multi-label) or the binary-hash code of the first label. */
    static float[] targets(int[][] labelSets, int[] idx, int classes, Loss loss) {
        if (loss == Loss.HASH) {
            int b = BinaryHash.bits(classes);
            float[] out = new float[idx.length * b];
            for (int i = 0; i < idx.length; i++) {
                System.arraycopy(BinaryHash.encode(labelSets[idx[i]][0], classes), 0, out, i * b, b);
            }
            return out;
        }
        float[] out = new float[idx.length * classes];
        for (int i = 0; i < idx.length; i++) {
            int[] set = labelSets[idx[i]];
            for (int j = 0; j < (loss == Loss.MULTILABEL ? set.length : 1); j++) {
                out[i * classes + set[j]] = 1f;
            }
        }
        return out;
    }

    /** The mean per-row loss of the held-out rows, in double, batch by batch. */
    private static double validationLoss(NDManager m, Identifier net, Features x, int[][] labelSets, int[] val, int classes, Options o) {
        double sum = 0;
        int outputs = net.outputs();
        for (int from = 0; from < val.length; from += 1024) {
            int[] idx = Arrays.copyOfRange(val, from, Math.min(val.length, from + 1024));
            float[] z;
            try (NDManager scope = m.newSubManager()) {
                z = net.forward(x.batch(scope, idx)).toFloatArray();
            }
            float[] t = targets(labelSets, idx, classes, o.loss());
            for (int i = 0; i < idx.length; i++) {
                if (o.loss() == Loss.CE) {
                    sum += CrossEntropy.value(z, i * outputs, outputs, labelSets[idx[i]][0]);
                } else {
                    double row = 0;
                    for (int c = 0; c < outputs; c++) {
                        row += Bce.value(z[i * outputs + c], t[i * outputs + c]);
                    }
                    sum += row / outputs;
                }
            }
        }
        return sum / val.length;
    }

    /** Stratified: every class with at least 2 training rows gives a tenth (at least 1) to validation. */
    static int[][] validationSplit(int[] y, int classes, Random random) {
        List<List<Integer>> byClass = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            byClass.add(new ArrayList<>());
        }
        for (int i = 0; i < y.length; i++) {
            byClass.get(y[i]).add(i);
        }
        List<Integer> fit = new ArrayList<>();
        List<Integer> val = new ArrayList<>();
        for (List<Integer> rows : byClass) {
            java.util.Collections.shuffle(rows, random);
            int held = rows.size() >= 2 ? Math.max(1, rows.size() / 10) : 0;
            val.addAll(rows.subList(0, held));
            fit.addAll(rows.subList(held, rows.size()));
        }
        return new int[][] {fit.stream().mapToInt(Integer::intValue).sorted().toArray(),
            val.stream().mapToInt(Integer::intValue).sorted().toArray()};
    }


    static float[][] rows(float[][] x, int[] idx) {
        float[][] out = new float[idx.length][];
        for (int i = 0; i < idx.length; i++) {
            out[i] = x[idx[i]];
        }
        return out;
    }

    /** a[idx[0]], a[idx[1]], ...: labels or row numbers of a subset. */
    static int[] pick(int[] y, int[] idx) {
        int[] out = new int[idx.length];
        for (int i = 0; i < idx.length; i++) {
            out[i] = y[idx[i]];
        }
        return out;
    }

    static float[] flatten(float[][] x) {
        int d = x[0].length;
        float[] out = new float[x.length * d];
        for (int i = 0; i < x.length; i++) {
            System.arraycopy(x[i], 0, out, i * d, d);
        }
        return out;
    }
}
