package tracelens.finetune;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.SortedMap;
import java.util.function.Consumer;
import tracelens.error.InvalidInputException;
import tracelens.error.NumericalFailureException;
import tracelens.geometry.Covariance;
import tracelens.geometry.IStar;
import tracelens.geometry.IsoScore;
import tracelens.losses.SupConLoss;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.model.bert.Bert;
import tracelens.progress.Progress;
import tracelens.random.Permutation;
import tracelens.sip.IdentifierTrainer;
import tracelens.sip.Metrics;
import tracelens.train.Adam;

/**
 * Fine-tunes a BERT encoder and a classification head on a task, with an optional representation regulariser
 * (geometry.md §3.2-4): L = L_task + lambda (1 - IsoScore*(H; C0, zeta)) for I-STAR, where H stacks every token
 * position (padding included) of every layer but the embeddings, and C0 is rebuilt at the start of each epoch from
 * the model's own hidden states (no gradient, at most {@code maxC0Points} + one batch of rows); or
 * L = L_task + lambda CosReg(last layer's token states) for the CosReg baseline.
 *
 * <p>The sentence representation is the first token ([CLS]) of the last layer. Task losses: softmax cross-entropy
 * through a linear head, or SupCon (supcon.md) on an L2-normalised projection (Linear-ReLU-Linear to 128, as
 * SupContrast's head) followed by a linear head trained with cross-entropy on the frozen encoder. AdamW with a
 * linear warm-up and decay, global gradient clipping. No dropout, so a run is a deterministic function of its seed.
 */
public final class FineTuner {
    public enum TaskLoss { CE, SUPCON }

    public enum Regulariser { NONE, ISTAR, COSREG }

    public record Options(TaskLoss loss, Regulariser reg, float lambda, float zeta, int epochs, int batchSize, double lr,
            double weightDecay, double warmup, double clip, int maxTokens, long seed, float temperature, int headEpochs,
            int maxC0Points, float analysisZeta) {
        public Options {
            if (epochs <= 0 || batchSize < 2 || !(lr > 0) || maxTokens < 2 || headEpochs <= 0 || maxC0Points < 2) {
                throw new InvalidInputException("epochs, head epochs, learning rate and max tokens must be positive; batch size at least 2");
            }
            if (!(zeta >= 0 && zeta <= 1) || !(analysisZeta >= 0 && analysisZeta <= 1)) {
                throw new InvalidInputException("--zeta must be in [0, 1], found " + zeta);
            }
            if (!(warmup >= 0 && warmup < 1) || !(weightDecay >= 0) || !(temperature > 0) || !Float.isFinite(lambda)) {
                throw new InvalidInputException("warm-up must be in [0, 1), weight decay >= 0, temperature > 0, lambda finite");
            }
        }

        /** The defaults: I-STAR's worked example (batch 32, zeta 0.2), AdamW lr 2e-5, 3 epochs. */
        public static Options defaults() {
            return new Options(TaskLoss.CE, Regulariser.NONE, 0.25f, 0.2f, 3, 32, 2e-5, 0.01, 0.1, 1.0, 128, 0, 0.1f, 20,
                    250_000, 0.75f);
        }
    }

    /** One epoch: mean task loss, mean penalty, mean IsoScore* of the batches' H (NaN without I-STAR). */
    public record Epoch(int epoch, double taskLoss, double penalty, double batchIsoScoreStar, double seconds) {}

    /**
     * Per-layer geometry of the fine-tuned model's [CLS] vectors on the evaluation set: IsoScore (NaN where the vectors
     * do not vary, as layer 0's [CLS] embedding), and IsoScore* shrunk towards that layer's token covariance (the
     * single-layer C0 of geometry.md §3.2), which keeps the score comparable across layers of different scale.
     */
    public record Layer(int layer, double isoScore, double isoScoreStar) {}

    public record Result(double accuracy, double mcc, double macroF1, int[] predictions, List<Epoch> epochs, List<Layer> layers,
            int steps) {}

    private final Bert model;
    private final Options o;
    private final int layers;
    private final int hidden;

    public FineTuner(Bert model, Options options) {
        this.model = model;
        this.o = options;
        this.layers = model.numLayers();
        this.hidden = model.hiddenSize();
    }

    public Result run(NDManager parent, List<TaskData.Example> train, List<TaskData.Example> dev, int classes,
            Progress progress, Consumer<String> log) {
        if (train.size() < 2 || dev.isEmpty()) {
            throw new InvalidInputException("fine-tuning needs at least 2 training and 1 evaluation example, found "
                    + train.size() + " and " + dev.size());
        }
        TextTokenizer tok = model.tokenizer();
        List<TextTokenizer.Tokens> trainTokens = train.stream().map(e -> tok.encode(e.text(), o.maxTokens())).toList();
        List<TextTokenizer.Tokens> devTokens = dev.stream().map(e -> tok.encode(e.text(), o.maxTokens())).toList();
        int[] trainY = train.stream().mapToInt(TaskData.Example::label).toArray();
        int[] devY = dev.stream().mapToInt(TaskData.Example::label).toArray();
        Random random = new Random(o.seed());
        try (NDManager m = parent.newSubManager()) {
            List<NDArray> encoder = model.parameters().trainable();
            List<NDArray> head = new ArrayList<>();
            NDArray hw = linear(m, random, classes, hidden, head);
            NDArray hb = bias(m, random, classes, hidden, head);
            NDArray p1w = null;
            NDArray p1b = null;
            NDArray p2w = null;
            NDArray p2b = null;
            if (o.loss() == TaskLoss.SUPCON) {
                head.clear(); // the classifier is fitted afterwards, on the frozen encoder
                p1w = linear(m, random, hidden, hidden, head);
                p1b = bias(m, random, hidden, hidden, head);
                p2w = linear(m, random, 128, hidden, head);
                p2b = bias(m, random, 128, hidden, head);
            }
            List<NDArray> params = new ArrayList<>(encoder);
            params.addAll(head);
            params.forEach(p -> p.setRequiresGradient(true));
            Adam adam = new Adam(m, params, o.weightDecay(), o.clip());
            int perEpoch = (train.size() + o.batchSize() - 1) / o.batchSize();
            int total = perEpoch * o.epochs();
            int warm = (int) Math.round(o.warmup() * total);
            List<Epoch> epochs = new ArrayList<>();
            int step = 0;
            try {
                for (int epoch = 1; epoch <= o.epochs(); epoch++) {
                    long start = System.nanoTime();
                    int[] order = Permutation.of(train.size(), random);
                    NDArray c0 = null;
                    if (o.reg() == Regulariser.ISTAR) {
                        double[][] c = stackedCovariance(m, trainTokens, order, o.maxC0Points(), progress);
                        c0 = m.create(flat(c), new Shape(hidden, hidden)).toType(DataType.FLOAT32, false);
                    }
                    progress.start(String.format(Locale.ROOT, "epoch %d/%d", epoch, o.epochs()), perEpoch);
                    double taskSum = 0;
                    double penSum = 0;
                    double isoSum = 0;
                    int batches = 0;
                    for (int from = 0; from < order.length; from += o.batchSize()) {
                        int[] idx = Arrays.copyOfRange(order, from, Math.min(order.length, from + o.batchSize()));
                        double lr = o.lr() * (step < warm ? (step + 1.0) / warm : Math.max(0.0, (double) (total - step) / Math.max(1, total - warm)));
                        try (NDManager scope = m.newSubManager()) {
                            TokenBatch batch = batch(trainTokens, idx);
                            int[] y = Arrays.stream(idx).map(i -> trainY[i]).toArray();
                            double[] parts;
                            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                                SortedMap<Integer, NDArray> states = model.hiddenStates(scope, batch, allLayers());
                                NDArray cls = states.get(layers).get(":, 0, :");
                                NDArray task = o.loss() == TaskLoss.CE
                                        ? crossEntropy(cls.matMul(hw.transpose()).add(hb), y, classes)
                                        : supCon(cls, y, p1w, p1b, p2w, p2b);
                                NDArray loss = task;
                                NDArray pen = null;
                                if (o.reg() == Regulariser.ISTAR) {
                                    pen = IStar.penalty(stack(states), c0, o.zeta(), o.lambda());
                                } else if (o.reg() == Regulariser.COSREG) {
                                    pen = cosReg(states.get(layers).reshape(-1, hidden)).mul(o.lambda());
                                }
                                if (pen != null) {
                                    loss = loss.add(pen);
                                }
                                gc.backward(loss);
                                parts = new double[] {task.getFloat(), pen == null ? 0 : pen.getFloat()};
                            }
                            if (!Double.isFinite(parts[0]) || !Double.isFinite(parts[1])) {
                                throw new NumericalFailureException(String.format(Locale.ROOT, "training diverged at step %d (epoch %d):"
                                        + " task loss %s, penalty %s; lower --lr or |--lambda|", step + 1, epoch, parts[0], parts[1]));
                            }
                            double norm = adam.step(scope, lr);
                            if (!Double.isFinite(norm)) {
                                throw new NumericalFailureException(String.format(Locale.ROOT, "training diverged at step %d (epoch %d):"
                                        + " the gradient norm is %s; lower --lr or |--lambda|", step + 1, epoch, norm));
                            }
                            step++;
                            taskSum += parts[0];
                            penSum += parts[1];
                            if (o.reg() == Regulariser.ISTAR) {
                                isoSum += 1 - parts[1] / o.lambda(); // penalty = lambda (1 - IsoScore*)
                            }
                            batches++;
                        }
                        progress.advance(1);
                    }
                    progress.end();
                    Epoch e = new Epoch(epoch, taskSum / batches, penSum / batches,
                            o.reg() == Regulariser.ISTAR && o.lambda() != 0 ? isoSum / batches : Double.NaN,
                            (System.nanoTime() - start) / 1e9);
                    epochs.add(e);
                    log.accept(String.format(Locale.ROOT, "epoch %d: task loss %.4f, penalty %.4f%s (%.0f s)", epoch, e.taskLoss(),
                            e.penalty(), Double.isNaN(e.batchIsoScoreStar()) ? "" : String.format(Locale.ROOT,
                                    ", batch IsoScore* %.4f", e.batchIsoScoreStar()), e.seconds()));
                }
            } finally {
                params.forEach(p -> p.setRequiresGradient(false));
            }
            Evaluation ev = evaluate(m, devTokens, progress, true);
            float[] logits;
            if (o.loss() == TaskLoss.SUPCON) {
                Evaluation tr = evaluate(m, trainTokens, progress, false); // the head needs [CLS] only
                IdentifierTrainer.Options head2 = new IdentifierTrainer.Options(new int[0], o.headEpochs(), 32, 1e-3, 5.0,
                        o.headEpochs(), o.seed(), IdentifierTrainer.Loss.CE);
                logits = IdentifierTrainer.trainAndPredict(m, tr.cls[layers], trainY, ev.cls[layers], classes, head2, progress).testLogits();
            } else {
                try (NDManager scope = m.newSubManager()) {
                    NDArray x = scope.create(flat(ev.cls[layers]), new Shape(dev.size(), hidden));
                    logits = x.matMul(hw.transpose()).add(hb).toFloatArray();
                }
            }
            int[] predicted = Metrics.argmax(logits, classes);
            List<Layer> geometry = new ArrayList<>();
            for (int l = 0; l <= layers; l++) {
                double[][] p = toDouble(ev.cls[l]);
                double[][] c = Covariance.of(p);
                geometry.add(new Layer(l, IsoScore.ofCovariance(c), IsoScore.starOfCovariance(c, ev.c0[l], o.analysisZeta())));
            }
            return new Result(Metrics.accuracy(logits, devY, classes), Metrics.mcc(predicted, devY, classes),
                    Metrics.macroF1(predicted, devY, classes), predicted, epochs, geometry, step);
        }
    }

    /** Every layer's [CLS] vectors of a data set, and each layer's token covariance (padding included) or null. */
    private record Evaluation(float[][][] cls, double[][][] c0) {}

    /** With {@code geometry}, also each layer's token covariance (the dev set's IsoScore* C0); without, c0 is null. */
    private Evaluation evaluate(NDManager m, List<TextTokenizer.Tokens> tokens, Progress progress, boolean geometry) {
        Covariance.Accumulator[] acc = new Covariance.Accumulator[geometry ? layers + 1 : 0];
        Arrays.setAll(acc, l -> new Covariance.Accumulator());
        try {
            float[][][] cls = new float[layers + 1][tokens.size()][];
            progress.start("evaluating", tokens.size());
            for (int from = 0; from < tokens.size(); from += o.batchSize()) {
                int first = from;
                int[] idx = new int[Math.min(o.batchSize(), tokens.size() - from)];
                Arrays.setAll(idx, i -> first + i);
                try (NDManager scope = m.newSubManager()) {
                    SortedMap<Integer, NDArray> states = model.hiddenStates(scope, batch(tokens, idx), allLayers());
                    for (int l = 0; l <= layers; l++) {
                        float[] v = states.get(l).get(":, 0, :").toFloatArray();
                        for (int i = 0; i < idx.length; i++) {
                            cls[l][idx[i]] = Arrays.copyOfRange(v, i * hidden, (i + 1) * hidden);
                        }
                        if (geometry && acc[l].count() <= o.maxC0Points()) {
                            acc[l].addRows(states.get(l).reshape(-1, hidden));
                        }
                    }
                }
                progress.advance(idx.length);
            }
            progress.end();
            double[][][] c0 = null;
            if (geometry) {
                c0 = new double[layers + 1][][];
                Arrays.setAll(c0, l -> acc[l].build());
            }
            return new Evaluation(cls, c0);
        } finally {
            for (Covariance.Accumulator a : acc) {
                a.close();
            }
        }
    }

    /** I-STAR's C0 (geometry.md §3.2): no gradient, the epoch's batches in order until more than maxPoints rows. */
    private double[][] stackedCovariance(NDManager m, List<TextTokenizer.Tokens> tokens, int[] order, int maxPoints, Progress progress) {
        try (Covariance.Accumulator acc = new Covariance.Accumulator()) {
            progress.start("C0", maxPoints);
            for (int from = 0; from < order.length && acc.count() <= maxPoints; from += o.batchSize()) {
                int[] idx = Arrays.copyOfRange(order, from, Math.min(order.length, from + o.batchSize()));
                try (NDManager scope = m.newSubManager()) {
                    long before = acc.count();
                    acc.addRows(stack(model.hiddenStates(scope, batch(tokens, idx), allLayers())));
                    progress.advance(Math.min(acc.count(), maxPoints) - Math.min(before, maxPoints));
                }
            }
            progress.end();
            return acc.count() >= 2 ? acc.build() : IsoScore.identity(hidden);
        }
    }

    private int[] allLayers() {
        int[] all = new int[layers + 1];
        Arrays.setAll(all, i -> i);
        return all;
    }

    /** Layers 1..L, every position, as one (B*T*L, C) matrix. */
    private NDArray stack(SortedMap<Integer, NDArray> states) {
        NDList list = new NDList();
        for (int l = 1; l <= layers; l++) {
            list.add(states.get(l).reshape(-1, hidden));
        }
        return NDArrays.concat(list, 0);
    }

    /** Mean softmax cross-entropy of logits (B, K) against labels. */
    static NDArray crossEntropy(NDArray logits, int[] y, int classes) {
        float[] oneHot = new float[y.length * classes];
        for (int i = 0; i < y.length; i++) {
            oneHot[i * classes + y[i]] = 1;
        }
        NDArray t = logits.getManager().create(oneHot, new Shape(y.length, classes));
        return logits.logSoftmax(-1).mul(t).sum().div(-y.length);
    }

    private NDArray supCon(NDArray cls, int[] y, NDArray p1w, NDArray p1b, NDArray p2w, NDArray p2b) {
        NDArray z = cls.matMul(p1w.transpose()).add(p1b);
        z = ai.djl.nn.Activation.relu(z).matMul(p2w.transpose()).add(p2b);
        z = z.div(z.norm(new int[] {1}, true).maximum(1e-12f)); // F.normalize, as SupContrast's model
        return SupConLoss.loss(z.expandDims(1), y, null, o.temperature(), o.temperature(), SupConLoss.Mode.ALL);
    }

    /** CosReg (geometry.md §5): (||sum of unit rows||^2 - N) / N^2, differentiable. */
    static NDArray cosReg(NDArray h) {
        long n = h.getShape().get(0);
        NDArray unit = h.div(h.norm(new int[] {1}, true).maximum(1e-12f));
        return unit.sum(new int[] {0}).square().sum().sub(n).div((float) n * n);
    }

    private TokenBatch batch(List<TextTokenizer.Tokens> tokens, int[] idx) {
        List<TextTokenizer.Tokens> rows = new ArrayList<>(idx.length);
        for (int i : idx) {
            rows.add(tokens.get(i));
        }
        return TokenBatch.of(rows, model.tokenizer().padId(), false);
    }

    /** A Linear layer's weight (out, in) with PyTorch's default init U(-1/sqrt(in), 1/sqrt(in)), from our seeded stream. */
    private static NDArray linear(NDManager m, Random r, int out, int in, List<NDArray> into) {
        NDArray w = m.create(uniform(r, out * in, 1 / Math.sqrt(in)), new Shape(out, in));
        into.add(w);
        return w;
    }

    private static NDArray bias(NDManager m, Random r, int out, int in, List<NDArray> into) {
        NDArray b = m.create(uniform(r, out, 1 / Math.sqrt(in)), new Shape(out));
        into.add(b);
        return b;
    }

    private static float[] uniform(Random r, int n, double bound) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((2 * r.nextDouble() - 1) * bound);
        }
        return v;
    }


    private static float[] flat(float[][] rows) {
        int n = rows[0].length;
        float[] out = new float[rows.length * n];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * n, n);
        }
        return out;
    }

    private static double[] flat(double[][] rows) {
        int n = rows[0].length;
        double[] out = new double[rows.length * n];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, out, i * n, n);
        }
        return out;
    }

    private static double[][] toDouble(float[][] p) {
        double[][] out = new double[p.length][];
        for (int i = 0; i < p.length; i++) {
            out[i] = new double[p[i].length];
            for (int j = 0; j < p[i].length; j++) {
                out[i][j] = p[i][j];
            }
        }
        return out;
    }
}
