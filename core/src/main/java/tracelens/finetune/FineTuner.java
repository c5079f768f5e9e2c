package tracelens.finetune;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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
import tracelens.losses.CrossEntropy;
import tracelens.nn.Parameters;
import tracelens.train.Adam;
import tracelens.train.LrSchedule;
import tracelens.train.TrainingLoop;

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
                throw InvalidInputException.field("zeta", " must be in [0, 1], found " + zeta);
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
            List<NDArray> head = new ArrayList<>();
            NDArray hw = linear(m, random, classes, hidden, head);
            NDArray hb = bias(m, random, classes, hidden, head);
            NDArray[] proj = new NDArray[4]; // SupCon's projection: Linear(C, C), ReLU, Linear(C, 128)
            if (o.loss() == TaskLoss.SUPCON) {
                head.clear(); // the classifier is fitted afterwards, on the frozen encoder
                proj[0] = linear(m, random, hidden, hidden, head);
                proj[1] = bias(m, random, hidden, hidden, head);
                proj[2] = linear(m, random, 128, hidden, head);
                proj[3] = bias(m, random, 128, hidden, head);
            }
            Parameters params = new Parameters().addAll("encoder", model.parameters());
            for (int i = 0; i < head.size(); i++) {
                params.add("head." + i, head.get(i));
            }
            Adam adam = new Adam(m, params.trainable(), o.weightDecay(), o.clip());
            NDArray[] c0 = new NDArray[1];
            double[] traceC0 = new double[1];
            double[] isoSum = new double[1];
            List<Epoch> epochs = new ArrayList<>();
            TrainingLoop.Listeners listeners = new TrainingLoop.Listeners(
                    (epoch, order) -> {
                        if (o.reg() == Regulariser.ISTAR) { // C0 from the model's own states, rebuilt every epoch
                            double[][] c = stackedCovariance(m, trainTokens, order, o.maxC0Points(), progress);
                            c0[0] = m.create(flat(c), new Shape(hidden, hidden)).toType(DataType.FLOAT32, false);
                            traceC0[0] = 0;
                            for (int i = 0; i < hidden; i++) {
                                traceC0[0] += (float) c[i][i]; // the trace of C0 as stored, in float32
                            }
                        }
                        isoSum[0] = 0;
                    },
                    v -> {
                        if (o.reg() == Regulariser.ISTAR) {
                            isoSum[0] += 1 - v[1] / o.lambda(); // penalty = lambda (1 - IsoScore*)
                        }
                    },
                    e -> {
                        int batches = (train.size() + o.batchSize() - 1) / o.batchSize();
                        Epoch out = new Epoch(e.epoch(), e.meanTerms()[0], e.meanTerms()[1],
                                o.reg() == Regulariser.ISTAR && o.lambda() != 0 ? isoSum[0] / batches : Double.NaN, e.seconds());
                        epochs.add(out);
                        log.accept(String.format(Locale.ROOT, "epoch %d: task loss %.4f, penalty %.4f%s (%.0f s)", out.epoch(),
                                out.taskLoss(), out.penalty(), Double.isNaN(out.batchIsoScoreStar()) ? "" : String.format(Locale.ROOT,
                                        ", batch IsoScore* %.4f", out.batchIsoScoreStar()), out.seconds()));
                    },
                    null);
            TrainingLoop.Settings settings = new TrainingLoop.Settings(o.epochs(), o.batchSize(), o.lr(),
                    LrSchedule.warmupLinear(o.warmup()), 0, true, false, true, "fine-tuning", List.of("task loss", "penalty"),
                    "lower --lr or |--lambda|");
            TrainingLoop.StepLoss step = (scope, idx) -> {
                int[] y = Arrays.stream(idx).map(i -> trainY[i]).toArray();
                SortedMap<Integer, NDArray> states = model.hiddenStates(scope, batch(trainTokens, idx), allLayers());
                NDArray cls = states.get(layers).get(":, 0, :");
                NDArray task = o.loss() == TaskLoss.CE
                        ? CrossEntropy.mean(cls.matMul(hw.transpose()).add(hb), y, 0f)
                        : supCon(cls, y, proj);
                NDArray pen = switch (o.reg()) {
                    case ISTAR -> IStar.penalty(stack(states), c0[0], traceC0[0], o.zeta(), o.lambda());
                    case COSREG -> { NDArray cos = cosReg(states.get(layers).reshape(-1, hidden)); yield cos.mul(tracelens.nn.Scalars.of(cos, o.lambda())); }
                    case NONE -> scope.create(0f);
                };
                return List.of(task, pen);
            };
            int[] rows = new int[train.size()];
            Arrays.setAll(rows, i -> i);
            TrainingLoop.Result r = TrainingLoop.run(m, params, adam, rows, random, settings, step, null, listeners, progress);
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
                double[][] p = tracelens.geometry.Points.toDouble(ev.cls[l]);
                double[][] c = Covariance.of(p);
                geometry.add(new Layer(l, IsoScore.ofCovariance(c), IsoScore.starOfCovariance(c, ev.c0[l], o.analysisZeta())));
            }
            return new Result(Metrics.accuracy(logits, devY, classes), Metrics.mcc(predicted, devY, classes),
                    Metrics.macroF1(predicted, devY, classes), predicted, epochs, geometry, r.steps());
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

    private NDArray supCon(NDArray cls, int[] y, NDArray[] proj) {
        NDArray z = cls.matMul(proj[0].transpose()).add(proj[1]);
        z = ai.djl.nn.Activation.relu(z).matMul(proj[2].transpose()).add(proj[3]);
        z = z.div(z.norm(new int[] {1}, true).maximum(tracelens.nn.Scalars.of(z, 1e-12f))); // F.normalize, as SupContrast's model
        return SupConLoss.loss(z.expandDims(1), y, null, o.temperature(), o.temperature(), SupConLoss.Mode.ALL);
    }

    /** CosReg (geometry.md §5): (||sum of unit rows||^2 - N) / N^2, differentiable. */
    static NDArray cosReg(NDArray h) {
        long n = h.getShape().get(0);
        NDArray unit = h.div(h.norm(new int[] {1}, true).maximum(tracelens.nn.Scalars.of(h, 1e-12f)));
        return unit.sum(new int[] {0}).square().sum().sub(n).div(tracelens.nn.Scalars.of(h, (double) n * n));
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

}
