package tracelens.sip;

import tracelens.error.InvalidInputException;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tracelens.activations.ActivationFile;
import tracelens.activations.Window;
import tracelens.ilm.Ilm;
import tracelens.ilm.IlmInput;
import tracelens.corpus.PassageSampler;
import tracelens.geometry.Covariance;
import tracelens.geometry.IntrinsicDimension;
import tracelens.geometry.IsoScore;
import tracelens.lm.Perplexity;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.model.decoder.Decoder;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;

/**
 * Source identification end to end on pooled representations: write the samples, extract every requested layer
 * of the frozen model once (mean over real tokens, through {@link SipGather}: reused when the samples, model, layers
 * and length are unchanged), then
 * per layer train a linear and an MLP identifier on the training split (and, as a training-free baseline, a
 * nearest-centroid one) and score the held-out split (accuracy,
 * top-5, macro-F1, confusions), measure how the sources cluster (silhouette, Euclidean and cosine), and draw 2-D
 * PCA maps of a few sources; for decoders also the model's perplexity on the samples.
 *
 * <p>Identifier inputs are each pooled vector normalised to zero mean and unit variance over its features (a
 * LayerNorm without learned scale), so one learning rate serves every layer.
 */
public final class SipRun {
    public record Options(int[] layers, int maxLength, int batchSize, long seed, int epochs, boolean mlp, int mapSeeds,
            int mapSources, int mapSamples, IdentifierTrainer.Loss loss, MapMethod map, Training training, Window window) {
        public Options(int[] layers, int maxLength, int batchSize, long seed, int epochs, boolean mlp, int mapSeeds,
                int mapSources, int mapSamples, IdentifierTrainer.Loss loss, MapMethod map) {
            this(layers, maxLength, batchSize, seed, epochs, mlp, mapSeeds, mapSources, mapSamples, loss, map, Training.DEFAULT);
        }

        public Options(int[] layers, int maxLength, int batchSize, long seed, int epochs, boolean mlp, int mapSeeds,
                int mapSources, int mapSamples, IdentifierTrainer.Loss loss, MapMethod map, Training training) {
            this(layers, maxLength, batchSize, seed, epochs, mlp, mapSeeds, mapSources, mapSamples, loss, map, training, Window.TRACELENS);
        }
    }

    /**
     * How the identifiers are trained beyond the loss: the protocol, the MLP's hidden sizes, the optimiser, the
     * activation and the warm-up steps ({@code apply} sets all but the sizes on trainer options).
     */
    public record Training(IdentifierTrainer.Protocol protocol, int[] mlpHidden, java.util.function.UnaryOperator<IdentifierTrainer.Options> apply) {
        public static final Training DEFAULT = new Training(IdentifierTrainer.Protocol.TRACELENS, Identifier.MLP, o -> o);

        /** An identifier's trainer options: SIP's defaults for {@code hidden}, with {@code loss} and these choices. */
        public IdentifierTrainer.Options options(int[] hidden, int epochs, long seed, IdentifierTrainer.Loss loss) {
            return apply.apply(IdentifierTrainer.Options.of(hidden, epochs, seed).withLoss(loss));
        }
    }

    /** How the 2-D maps are drawn. */
    public enum MapMethod { PCA, TSNE;
        public static MapMethod parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "pca" -> PCA;
                case "tsne", "t-sne" -> TSNE;
                default -> throw InvalidInputException.field("map", " must be pca or tsne, found '" + s + "'");
            };
        }
    }

    public record LayerResult(int layer, double linearAccuracy, double mlpAccuracy, double nearestCentroidAccuracy,
            double top5Accuracy, double macroF1, double[] macroF1Ci95, double silhouette, double silhouetteCosine, List<Metrics.Confusion> confused,
            int linearEpochs, int mlpEpochs, Geometry geometry, double ilmEffect) {}

    /**
     * How the layer uses its space: IsoScore, IsoScore* (zeta 0.75, C0 = covariance of the pooled states of all layers
     * but the embeddings, stacked, as I-STAR's analysis builds it) and TwoNN intrinsic dimension (current variant).
     */
    public record Geometry(double isoScore, double isoScoreStar, double twoNn) {}

    /** One 2-D map: the chosen sources' samples projected on the layer's first two principal components. */
    public record Map2d(int layer, int seed, int[] sources, float[][] xy, int[] labels) {}

    public record Result(String model, String architecture, List<String> sources, int trainSamples, int testSamples,
            double chance, Double perplexity, List<LayerResult> layers, List<Map2d> maps, MapMethod mapMethod,
            List<String> skipped, int duplicateTexts, long tokens, double extractionSeconds, int epochBudget,
            IdentifierTrainer.Protocol protocol) {}

    private SipRun() {}

    public static Result run(HiddenStateModel model, PassageSampler.Sample sample, Options o, Path out, Progress progress) {
        List<PassageSampler.Passage> passages = sample.passages();
        // the mean-pooled f32 cache, reused when model, layers, length and samples are unchanged, replaced otherwise
        SipGather.Result gathered = SipGather.gather(model, sample, new SipGather.Options(o.layers(), o.maxLength(), o.batchSize(),
                false, DType.F32, true, Map.of(), o.window()), out, progress);
        Path acts = gathered.activations();
        long tokens = gathered.tokens();
        double seconds = gathered.seconds();
        int[] isTest = passages.stream().mapToInt(p -> p.test() ? 1 : 0).toArray();
        List<LayerResult> results = new ArrayList<>();
        List<Map2d> maps = new ArrayList<>();
        List<String> names;
        try (ActivationFile file = ActivationFile.open(acts); NDManager manager = DjlRuntime.manager()) {
            int[] y = file.labels();
            names = file.labelNames();
            String digest = tracelens.provenance.Provenance.modelDigest(model.id());
            int k = names.size();
            double[][] c0 = stackedCovariance(file, progress);
            int[][] idx = splitIndices(isTest);
            double[] ilm = ilmEffects(file, y, IlmInput.sample(y.length, ILM_SAMPLES, o.seed()), progress);
            // the identifiers' options, built once for every layer and for the fingerprint of finished layers
            var linOpts = o.training().options(Identifier.LINEAR, o.epochs(), o.seed(), o.loss());
            var mlpOpts = o.training().options(o.training().mlpHidden(), o.epochs(), o.seed(), o.loss());
            String fingerprint = fingerprint(model, o, SipGather.samplesDigest(passages), linOpts, mlpOpts);
            SipLayers work = new SipLayers(model, o, out, y, k, names, idx, c0, digest, linOpts, mlpOpts, fingerprint);
            List<Integer> layers = file.layers();
            Finished[] done = new Finished[layers.size()];
            List<Integer> pending = new ArrayList<>();
            for (int li = 0; li < layers.size(); li++) {
                // a finished layer of an earlier run of the same settings is kept, not retrained
                done[li] = Finished.read(out, layers.get(li), fingerprint);
                if (done[li] == null) {
                    pending.add(li);
                }
            }
            work.run(manager, file, layers, pending, ilm, done, progress);
            for (Finished f : done) {
                results.add(f.result());
                maps.addAll(f.maps());
            }
        }
        Double ppl = null;
        if (model instanceof Decoder d) {
            ppl = Perplexity.compute(d, passages.stream().map(PassageSampler.Passage::text).toList(), o.batchSize(), progress)
                    .overall().perplexity();
        }
        int nTest = (int) passages.stream().filter(PassageSampler.Passage::test).count();
        return new Result(model.id(), model.architecture(), names, passages.size() - nTest, nTest, 1.0 / names.size(), ppl,
                results, maps, o.map(), sample.skipped(), sample.duplicateTexts(), tokens, seconds, o.epochs(), o.training().protocol());
    }

    /**
     * A finished layer, written to {@code out/layers/layer<L>.json} as soon as it is done, so that a killed run keeps
     * it and a rerun with the same settings (the same fingerprint) resumes after it instead of retraining it.
     */
    record Finished(String fingerprint, LayerResult result, List<Map2d> maps) {
        private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

        static Path file(Path out, int layer) {
            return out.resolve("layers").resolve("layer" + layer + ".json");
        }

        void write(Path out) {
            tracelens.io.AtomicFile.write(file(out, result.layer()), w -> w.write(JSON.writeValueAsString(this)));
        }

        /** The layer's earlier result if one of the same settings is there, else null (an unreadable one is redone). */
        static Finished read(Path out, int layer, String fingerprint) {
            Path f = file(out, layer);
            if (!java.nio.file.Files.isRegularFile(f)) {
                return null;
            }
            try {
                Finished done = JSON.readValue(f.toFile(), Finished.class);
                return fingerprint.equals(done.fingerprint()) && done.result().layer() == layer ? done : null;
            } catch (java.io.IOException | RuntimeException e) {
                return null;
            }
        }
    }

    /**
     * What a layer's result depends on: the model, the samples (the SHA-256 of samples.jsonl, SipGather.samplesDigest:
     * texts, sources, split) and every option that shapes training, scoring and the maps.
     */
    static String fingerprint(HiddenStateModel model, Options o, String samplesDigest, IdentifierTrainer.Options lin,
            IdentifierTrainer.Options mlp) {
        return String.join("|", "sip-run-layer/1", model.id(), samplesDigest, String.valueOf(o.maxLength()), String.valueOf(o.seed()),
                String.valueOf(o.mlp()), String.valueOf(o.mapSeeds()), String.valueOf(o.mapSources()), String.valueOf(o.mapSamples()),
                o.map().name(), describe(lin), describe(mlp)) + (o.window() == Window.TRACELENS ? "" : "|window=" + o.window());
    }

    private static String describe(IdentifierTrainer.Options t) {
        return java.util.Arrays.toString(t.hidden()) + "," + t.epochs() + "," + t.batchSize() + "," + t.lr() + "," + t.clip() + ","
                + t.patience() + "," + t.seed() + "," + t.loss() + "," + t.layerNorm() + "," + t.protocol() + "," + t.optimizer() + ","
                + t.activation() + "," + t.warmupSteps();
    }

    /** How sip run's identifiers read a text: the layer's states mean-pooled over real tokens, then LayerNorm per row. */
    public static final String FEATURES = "mean-pooled, layer-normalised per row (sip run)";

    /** Saves each trained identifier as {@code out/identifiers/layer<L>-<probe>.safetensors} (see SavedIdentifier). */
    static java.util.function.Consumer<Identifier> saver(Path out, HiddenStateModel model, int layer, String probe,
            List<String> names, int[] hidden, String digest) {
        return net -> SavedIdentifier.save(net, new SavedIdentifier.Info(model.id(), digest, layer, FEATURES, names, hidden, false,
                net.inputs(), null), out.resolve("identifiers").resolve("layer" + layer + "-" + probe + ".safetensors"));
    }

    /** Rows the ILM effect of a layer is measured on (the spec's default sample size). */
    static final int ILM_SAMPLES = 400;

    /**
     * The ILM effect of every stored layer with the sources as labels (pifi_ilm.md §3, default settings) on a seeded
     * sample of rows, the layers scored in parallel: a third view of where source information lives, beside the
     * probes and the geometry. NaN when there are too few rows or a single source.
     */
    static double[] ilmEffects(ActivationFile file, int[] y, int[] rows, Progress progress) {
        Ilm.Options o = Ilm.Options.defaults();
        double[] out = new double[file.layers().size()];
        int[] labels = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            labels[i] = y[rows[i]];
        }
        if (rows.length < Math.max(10, o.nPcs()) || java.util.Arrays.stream(labels).distinct().count() < 2) {
            java.util.Arrays.fill(out, Double.NaN);
            return out;
        }
        List<float[][]> xs = new ArrayList<>();
        for (int layer : file.layers()) {
            float[][] x = file.pooled(layer);
            float[][] picked = new float[rows.length][];
            for (int i = 0; i < rows.length; i++) {
                picked[i] = x[rows[i]];
            }
            xs.add(picked);
        }
        return Ilm.run(xs, labels, o, 1, Progress.named(progress, "ILM effects, sources as labels (layers)")).effects();
    }


    /**
     * C0 for IsoScore*: the covariance of every stored layer above the embeddings, pooled vectors stacked, accumulated
     * layer by layer (the stack itself is never held).
     */
    private static double[][] stackedCovariance(ActivationFile file, Progress progress) {
        Covariance.Accumulator acc = new Covariance.Accumulator();
        progress.start("C0 for IsoScore* (layers)", file.layers().size());
        try {
            for (int layer : file.layers()) {
                if (layer > 0 || file.layers().size() == 1) {
                    acc.addAll(file.pooled(layer));
                }
                progress.advance(1);
            }
        } finally {
            progress.end();
        }
        return acc.build();
    }

    static Geometry geometry(float[][] x, double[][] c0) {
        double[][] p = tracelens.geometry.Points.toDouble(x);
        double twoNn;
        try {
            twoNn = IntrinsicDimension.twoNn(p, IntrinsicDimension.TwoNnVariant.FIXED);
        } catch (tracelens.error.InvalidInputException e) {
            twoNn = Double.NaN; // duplicates: undefined
        }
        double[][] c = Covariance.of(p); // once for both scores
        return new Geometry(IsoScore.ofCovariance(c), IsoScore.starOfCovariance(c, c0, 0.75), twoNn);
    }

    /** Whether {@code acts} already holds these samples' activations of this model and these layers. */
    static int[][] splitIndices(int[] isTest) {
        int nTest = 0;
        for (int t : isTest) {
            nTest += t;
        }
        int[] train = new int[isTest.length - nTest];
        int[] test = new int[nTest];
        for (int i = 0, a = 0, b = 0; i < isTest.length; i++) {
            if (isTest[i] == 1) {
                test[b++] = i;
            } else {
                train[a++] = i;
            }
        }
        return new int[][] {train, test};
    }

    /** Each row to zero mean and unit variance over its features (eps 1e-5, as LayerNorm). */
    public static float[][] layerNorm(float[][] x) {
        float[][] out = new float[x.length][];
        for (int i = 0; i < x.length; i++) {
            double mean = 0;
            for (float v : x[i]) {
                mean += v;
            }
            mean /= x[i].length;
            double var = 0;
            for (float v : x[i]) {
                var += (v - mean) * (v - mean);
            }
            var /= x[i].length;
            double inv = 1 / Math.sqrt(var + 1e-5);
            out[i] = new float[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                out[i][j] = (float) ((x[i][j] - mean) * inv);
            }
        }
        return out;
    }

    /** The rows of class {@code c} in {@code y}, in an order drawn from {@code r} (a map's sample of a source). */
    static List<Integer> shuffledMembers(int[] y, int c, Random r) {
        List<Integer> members = new ArrayList<>();
        for (int i = 0; i < y.length; i++) {
            if (y[i] == c) {
                members.add(i);
            }
        }
        java.util.Collections.shuffle(members, r);
        return members;
    }

    /** For each map seed: draw {@code mapSources} sources with enough samples, up to {@code mapSamples} each, project. */
    static List<Map2d> maps(int layer, float[][] x, int[] y, int k, Options o) {
        List<Map2d> out = new ArrayList<>();
        int[] count = new int[k];
        for (int l : y) {
            count[l]++;
        }
        List<Integer> eligible = new ArrayList<>();
        for (int c = 0; c < k; c++) {
            if (count[c] >= Math.min(o.mapSamples(), 10)) {
                eligible.add(c);
            }
        }
        if (eligible.size() < 2) {
            return out;
        }
        for (int s = 0; s < o.mapSeeds(); s++) {
            Random r = new Random(o.seed() * 31 + s);
            List<Integer> pool = new ArrayList<>(eligible);
            java.util.Collections.shuffle(pool, r);
            int[] chosen = pool.subList(0, Math.min(o.mapSources(), pool.size())).stream().mapToInt(Integer::intValue).sorted().toArray();
            List<Integer> rows = new ArrayList<>();
            for (int c : chosen) {
                List<Integer> members = shuffledMembers(y, c, r);
                rows.addAll(members.subList(0, Math.min(o.mapSamples(), members.size())));
            }
            float[][] pts = new float[rows.size()][];
            int[] labels = new int[rows.size()];
            for (int i = 0; i < rows.size(); i++) {
                pts[i] = x[rows.get(i)];
                labels[i] = y[rows.get(i)];
            }
            float[][] xy = o.map() == MapMethod.TSNE ? Tsne.embed(pts, 30, 500, o.seed() * 31 + s) : Pca.project2(pts);
            out.add(new Map2d(layer, s, chosen, xy, labels));
        }
        return out;
    }
}
