package tracelens.sip;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import tracelens.error.InvalidInputException;
import tracelens.progress.Progress;
import tracelens.train.Adam;

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
    public enum Loss { BCE, CE, HASH;
        public static Loss parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "bce" -> BCE;
                case "ce" -> CE;
                case "hash", "binary-hash" -> HASH;
                default -> throw new InvalidInputException("--loss must be bce, ce or hash, found '" + s + "'");
            };
        }
    }

    public record Options(int[] hidden, int epochs, int batchSize, double lr, double clip, int patience, long seed, Loss loss) {
        public Options(int[] hidden, int epochs, int batchSize, double lr, double clip, int patience, long seed) {
            this(hidden, epochs, batchSize, lr, clip, patience, seed, Loss.BCE);
        }

        public Options {
            if (epochs <= 0 || batchSize <= 0 || !(lr > 0) || !(clip > 0) || patience <= 0) {
                throw new InvalidInputException("epochs, batch size, learning rate, clip and patience must be positive");
            }
        }

        /** SIP's optimiser settings with the given architecture, epoch budget and patience 20. */
        public static Options of(int[] hidden, int epochs, long seed) {
            return new Options(hidden, epochs, 64, 1e-3, 5.0, 20, seed, Loss.BCE);
        }

        public Options withLoss(Loss l) {
            return new Options(hidden, epochs, batchSize, lr, clip, patience, seed, l);
        }
    }

    /** A trained identifier's scores: held-out logits (N, K) row-major and the training history. */
    public record Result(float[] testLogits, int classes, int epochsRun, int bestEpoch, double bestValidationLoss,
            double[] trainLoss) {}

    private IdentifierTrainer() {}

    /** Trains on (trainX, trainY) and returns the logits of testX. Labels are 0..classes-1. */
    public static Result trainAndPredict(NDManager parent, float[][] trainX, int[] trainY, float[][] testX, int classes,
            Options o, Progress progress) {
        if (trainX.length == 0) {
            throw new InvalidInputException("no training samples");
        }
        int d = trainX[0].length;
        Random random = new Random(o.seed());
        int[][] split = validationSplit(trainY, classes, random);
        float[][] fitX = rows(trainX, split[0]);
        int[] fitY = labels(trainY, split[0]);
        float[][] valX = rows(trainX, split[1]);
        int[] valY = labels(trainY, split[1]);
        int steps = o.epochs() * ((fitX.length + o.batchSize() - 1) / o.batchSize());
        int outputs = o.loss() == Loss.HASH ? BinaryHash.bits(classes) : classes;
        try (NDManager m = parent.newSubManager(); Identifier net = new Identifier(m, d, o.hidden(), outputs, o.seed())) {
            NDArray x = m.create(flatten(fitX), new Shape(fitX.length, d));
            NDArray y = m.create(targets(fitY, classes, o.loss()), new Shape(fitX.length, outputs));
            List<NDArray> params = net.parameters();
            Adam optimizer = new Adam(m, params, 0, o.clip());
            List<float[]> best = snapshot(params);
            double bestLoss = Double.POSITIVE_INFINITY;
            int bestEpoch = 0;
            int epoch = 0;
            int step = 0;
            double[] history = new double[o.epochs()];
            progress.start("training", o.epochs());
            try {
                for (epoch = 0; epoch < o.epochs(); epoch++) {
                    int[] order = permutation(fitX.length, random);
                    double lossSum = 0;
                    int batches = 0;
                    for (int from = 0; from < order.length; from += o.batchSize()) {
                        int[] idx = Arrays.copyOfRange(order, from, Math.min(order.length, from + o.batchSize()));
                        double multiplier = step < 1 ? step : Math.max(0, (double) (steps - step) / (steps - 1));
                        lossSum += step(m, net, optimizer, x, y, idx, o, multiplier);
                        step++;
                        batches++;
                    }
                    history[epoch] = lossSum / batches;
                    double loss = valX.length == 0 ? history[epoch] : validationLoss(logits(m, net, valX), valY, classes, o.loss());
                    progress.advance(1);
                    if (loss < bestLoss) {
                        bestLoss = loss;
                        bestEpoch = epoch + 1;
                        best = snapshot(params);
                    } else if (epoch + 1 - bestEpoch >= o.patience()) {
                        epoch++;
                        break;
                    }
                }
            } finally {
                progress.end();
            }
            restore(params, best);
            float[] test = testX.length == 0 ? new float[0] : logits(m, net, testX);
            if (o.loss() == Loss.HASH) {
                test = BinaryHash.toScores(test, classes); // class scores from the decoded codes
            }
            return new Result(test, classes, epoch, bestEpoch, bestLoss, Arrays.copyOf(history, epoch));
        }
    }

    private static double step(NDManager m, Identifier net, Adam optimizer, NDArray x, NDArray y, int[] idx, Options o,
            double multiplier) {
        try (NDManager scope = m.newSubManager()) {
            NDArray rows = scope.create(Arrays.stream(idx).asLongStream().toArray());
            NDArray bx = x.get(rows);
            NDArray by = y.get(rows);
            bx.attach(scope);
            by.attach(scope);
            double loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray z = net.forward(bx);
                NDArray l = o.loss() == Loss.CE ? z.logSoftmax(-1).mul(by).sum().div(-idx.length) : BceLoss.mean(z, by);
                gc.backward(l);
                loss = l.getFloat();
            }
            optimizer.step(scope, o.lr() * multiplier);
            return loss;
        }
    }

    private static float[] targets(int[] y, int classes, Loss loss) {
        if (loss != Loss.HASH) {
            return oneHot(y, classes); // BCE and CE both take one-hot targets
        }
        int b = BinaryHash.bits(classes);
        float[] out = new float[y.length * b];
        for (int i = 0; i < y.length; i++) {
            System.arraycopy(BinaryHash.encode(y[i], classes), 0, out, i * b, b);
        }
        return out;
    }

    private static double validationLoss(float[] logits, int[] y, int k, Loss loss) {
        switch (loss) {
            case CE -> {
                double sum = 0;
                for (int i = 0; i < y.length; i++) {
                    double max = Double.NEGATIVE_INFINITY;
                    for (int c = 0; c < k; c++) {
                        max = Math.max(max, logits[i * k + c]);
                    }
                    double z = 0;
                    for (int c = 0; c < k; c++) {
                        z += Math.exp(logits[i * k + c] - max);
                    }
                    sum += max + Math.log(z) - logits[i * k + y[i]];
                }
                return sum / y.length;
            }
            case HASH -> {
                int b = BinaryHash.bits(k);
                double sum = 0;
                for (int i = 0; i < y.length; i++) {
                    float[] bits = BinaryHash.encode(y[i], k);
                    for (int j = 0; j < b; j++) {
                        sum += BceLoss.value(logits[i * b + j], bits[j]);
                    }
                }
                return sum / (y.length * (double) b);
            }
            default -> {
                return meanBce(logits, y, k);
            }
        }
    }

    static double meanBce(float[] logits, int[] y, int k) {
        double sum = 0;
        for (int i = 0; i < y.length; i++) {
            for (int c = 0; c < k; c++) {
                sum += BceLoss.value(logits[i * k + c], c == y[i] ? 1 : 0);
            }
        }
        return sum / (y.length * (double) k);
    }

    private static float[] logits(NDManager m, Identifier net, float[][] x) {
        try (NDManager scope = m.newSubManager()) {
            NDArray in = scope.create(flatten(x), new Shape(x.length, x[0].length));
            return net.forward(in).toFloatArray();
        }
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

    private static int[] permutation(int n, Random random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private static List<float[]> snapshot(List<NDArray> params) {
        return params.stream().map(NDArray::toFloatArray).toList();
    }

    private static void restore(List<NDArray> params, List<float[]> values) {
        for (int i = 0; i < params.size(); i++) {
            params.get(i).set(values.get(i));
        }
    }

    static float[][] rows(float[][] x, int[] idx) {
        float[][] out = new float[idx.length][];
        for (int i = 0; i < idx.length; i++) {
            out[i] = x[idx[i]];
        }
        return out;
    }

    static int[] labels(int[] y, int[] idx) {
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

    static float[] oneHot(int[] y, int classes) {
        float[] out = new float[y.length * classes];
        for (int i = 0; i < y.length; i++) {
            out[i * classes + y[i]] = 1f;
        }
        return out;
    }
}
