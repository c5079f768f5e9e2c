package tracelens.sip;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tracelens.activations.ActivationFile;
import tracelens.activations.Window;
import tracelens.corpus.PassageSampler;
import tracelens.error.InvalidInputException;
import tracelens.lm.Perplexity;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.model.decoder.Decoder;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;

/**
 * The seed post's figures for one model (sip.md §7): held-out accuracy of the linear and MLP identifiers, the silhouette
 * of the sources and the model's perplexity, by layer x number of sources K (the first K sources of one sample, so every
 * K reuses one extraction), and 2-D maps of 3 or 4 randomly drawn sources over several seeds, from PCA and from a 2-unit
 * bottleneck identifier.
 *
 * <p>A map seed draws its sources and, per source, {@code min(mapSamples, n - n/4)} of the source's n samples, so two
 * seeds differ in passages even when a source has no more than {@code mapSamples}; it also seeds the bottleneck's
 * initialisation. The bottleneck identifier (hidden sizes ending in 2) is fitted on the drawn samples of the map and its
 * 2-unit layer is read out before its activation: a picture of what a classifier squeezed to two dimensions separates,
 * not a held-out score.
 */
public final class SipSweep {
    /**
     * {@code bottleneck}: the bottleneck identifier's hidden sizes (the last 2), or null for PCA maps only;
     * {@code training}: protocol, optimiser, activation and warm-up as sip run's.
     */
    public record Options(int[] sources, int[] layers, int maxLength, int batchSize, long seed, int epochs, boolean mlp,
            IdentifierTrainer.Loss loss, SipRun.Training training, Window window, int mapSeeds, int[] mapClasses, int mapSamples,
            int[] bottleneck) {
        public Options {
            if (sources.length == 0 || Arrays.stream(sources).anyMatch(k -> k < 2)) {
                throw InvalidInputException.field("sources", " must list numbers of sources of at least 2, found " + Arrays.toString(sources));
            }
            if (bottleneck != null && (bottleneck.length == 0 || bottleneck[bottleneck.length - 1] != 2)) {
                throw InvalidInputException.field("bottleneck", " must be hidden sizes ending in a 2-unit layer, found "
                        + Arrays.toString(bottleneck));
            }
            if (Arrays.stream(mapClasses).anyMatch(c -> c < 2)) {
                throw InvalidInputException.field("map_classes", " must be at least 2, found " + Arrays.toString(mapClasses));
            }
        }

        int maxSources() {
            return Arrays.stream(sources).max().orElseThrow();
        }
    }

    /** One layer at one number of sources. {@code chance} = 1/K. */
    public record Cell(int sources, int layer, double linearAccuracy, double mlpAccuracy, double silhouette, int trainSamples,
            int testSamples) {}

    /** One 2-D map: {@code method} "pca" or "bottleneck"; {@code sources} are label ids into the model result's sources. */
    public record Map2d(String method, int classes, int seed, int layer, int[] sources, float[][] xy, int[] labels) {}

    /** {@code perplexity}: by number of sources (decoders), else null; {@code parameters}: the model's weight count. */
    public record ModelResult(String model, String architecture, long parameters, int numLayers, List<String> sources,
            List<Cell> cells, Map<Integer, Double> perplexity, List<Map2d> maps) {}

    private SipSweep() {}

    /**
     * Runs the sweep for {@code model} on {@code sample} (which must hold at least the largest K sources), caching the
     * pooled states in {@code dir} (reused by a rerun on the same samples and settings).
     */
    public static ModelResult run(HiddenStateModel model, PassageSampler.Sample sample, Options o, Path dir, Progress progress) {
        List<String> sources = sample.sources();
        if (sources.size() < o.maxSources()) {
            throw InvalidInputException.field("sources", " asks for " + o.maxSources() + " sources, but the corpus has "
                    + sources.size() + " usable ones");
        }
        List<PassageSampler.Passage> passages = sample.passages();
        SipGather.Result gathered = SipGather.gather(model, sample, new SipGather.Options(o.layers(), o.maxLength(), o.batchSize(),
                false, DType.F32, true, Map.of(), o.window()), dir, progress);
        List<Cell> cells = new ArrayList<>();
        List<Map2d> maps = new ArrayList<>();
        int[] source = new int[passages.size()]; // each row's index into sources (corpus order, so "the first K" is a prefix)
        for (int i = 0; i < source.length; i++) {
            source[i] = sources.indexOf(passages.get(i).source());
        }
        // the map draws first, so every layer maps the same passages for a (classes, seed), and each layer is read once
        List<Draw> draws = o.mapSeeds() > 0 ? draws(source, sources.size(), o) : List.of();
        try (ActivationFile file = ActivationFile.open(gathered.activations()); NDManager manager = DjlRuntime.manager()) {
            int[] ks = Arrays.stream(o.sources()).sorted().distinct().toArray();
            progress.start("sweep over " + file.layers().size() + " layers x (" + ks.length + " source counts + " + draws.size()
                    + " map draws)", (long) (ks.length + draws.size()) * file.layers().size());
            try {
                for (int layer : file.layers()) {
                    float[][] x = file.pooled(layer);
                    float[][] normed = SipRun.layerNorm(x);
                    for (int k : ks) {
                        cells.add(cell(manager, x, normed, source, passages, k, layer, o));
                        progress.advance(1);
                    }
                    for (Draw d : draws) {
                        maps.addAll(maps(manager, x, layer, source, d, o));
                        progress.advance(1);
                    }
                }
            } finally {
                progress.end();
            }
        }
        Map<Integer, Double> ppl = null;
        if (model instanceof Decoder d) {
            List<Perplexity.Score> scores = Perplexity.compute(d, passages.stream().map(PassageSampler.Passage::text).toList(),
                    o.batchSize(), progress).perText();
            ppl = new java.util.TreeMap<>();
            for (int k : o.sources()) {
                double nll = 0;
                long tokens = 0;
                for (int i = 0; i < source.length; i++) {
                    if (source[i] < k) {
                        nll += scores.get(i).nll();
                        tokens += scores.get(i).tokens();
                    }
                }
                ppl.put(k, new Perplexity.Score(nll, tokens).perplexity());
            }
        }
        return new ModelResult(model.id(), model.architecture(), model.parameterCount(), model.numLayers(), sources, cells,
                ppl, maps);
    }

    /** The identifiers and silhouette of one layer on the rows of the first {@code k} sources. */
    private static Cell cell(NDManager manager, float[][] x, float[][] normed, int[] source, List<PassageSampler.Passage> passages,
            int k, int layer, Options o) {
        List<Integer> train = new ArrayList<>();
        List<Integer> test = new ArrayList<>();
        for (int i = 0; i < source.length; i++) {
            if (source[i] < k) {
                (passages.get(i).test() ? test : train).add(i);
            }
        }
        int[] tr = train.stream().mapToInt(Integer::intValue).toArray();
        int[] te = test.stream().mapToInt(Integer::intValue).toArray();
        float[][] trainX = IdentifierTrainer.rows(normed, tr);
        int[] trainY = IdentifierTrainer.pick(source, tr);
        float[][] testX = IdentifierTrainer.rows(normed, te);
        int[] testY = IdentifierTrainer.pick(source, te);
        long seed = o.seed(); // as sip run seeds its identifiers: the largest K reproduces sip run --max-sources K
        var lin = o.training().options(Identifier.LINEAR, o.epochs(), seed, o.loss());
        double linAcc = Metrics.accuracy(IdentifierTrainer.trainAndPredict(manager, trainX, trainY, testX, k, lin, Progress.NONE)
                .testLogits(), testY, k);
        double mlpAcc = Double.NaN;
        if (o.mlp()) {
            var mlp = o.training().options(o.training().mlpHidden(), o.epochs(), seed, o.loss());
            mlpAcc = Metrics.accuracy(IdentifierTrainer.trainAndPredict(manager, trainX, trainY, testX, k, mlp, Progress.NONE)
                    .testLogits(), testY, k);
        }
        int[] rows = new int[tr.length + te.length];
        System.arraycopy(tr, 0, rows, 0, tr.length);
        System.arraycopy(te, 0, rows, tr.length, te.length);
        double silhouette = Silhouette.score(IdentifierTrainer.rows(x, rows), IdentifierTrainer.pick(source, rows),
                Silhouette.Distance.EUCLIDEAN);
        return new Cell(k, layer, linAcc, mlpAcc, silhouette, tr.length, te.length);
    }

    /** One map's draw: {@code classes} sources (label ids, ascending) and the rows of their passages it maps. */
    private record Draw(int classes, int seed, int[] sources, int[] rows) {}

    /**
     * For every number of classes c and seed s: c sources with at least 2 samples, then per source
     * min(mapSamples, n - n/4) of its n samples.
     */
    private static List<Draw> draws(int[] source, int nSources, Options o) {
        int[] count = new int[nSources];
        for (int s : source) {
            count[s]++;
        }
        List<Integer> eligible = new ArrayList<>();
        for (int c = 0; c < nSources; c++) {
            if (count[c] >= 2) {
                eligible.add(c);
            }
        }
        List<Draw> out = new ArrayList<>();
        for (int classes : o.mapClasses()) {
            if (classes > eligible.size()) {
                throw InvalidInputException.field("map_classes", " " + classes + " exceeds the " + eligible.size()
                        + " sources with at least 2 samples");
            }
            for (int s = 0; s < o.mapSeeds(); s++) {
                Random r = new Random(o.seed() * 7919 + classes * 131L + s);
                List<Integer> pool = new ArrayList<>(eligible);
                java.util.Collections.shuffle(pool, r);
                int[] picked = pool.subList(0, classes).stream().mapToInt(Integer::intValue).sorted().toArray();
                List<Integer> rows = new ArrayList<>();
                for (int c : picked) {
                    List<Integer> members = SipRun.shuffledMembers(source, c, r);
                    rows.addAll(members.subList(0, Math.min(o.mapSamples(), members.size() - members.size() / 4)));
                }
                out.add(new Draw(classes, s, picked, rows.stream().mapToInt(Integer::intValue).toArray()));
            }
        }
        return out;
    }

    /** A draw projected on one layer's states {@code x}: by PCA and, with a bottleneck, by the identifier fitted on it. */
    private static List<Map2d> maps(NDManager manager, float[][] x, int layer, int[] source, Draw d, Options o) {
        float[][] pts = IdentifierTrainer.rows(x, d.rows());
        int[] labels = IdentifierTrainer.pick(source, d.rows());
        List<Map2d> out = new ArrayList<>();
        out.add(new Map2d("pca", d.classes(), d.seed(), layer, d.sources(), Pca.project2(pts), labels));
        if (o.bottleneck() != null) {
            out.add(new Map2d("bottleneck", d.classes(), d.seed(), layer, d.sources(),
                    bottleneck(manager, SipRun.layerNorm(pts), labels, d.sources(), o, o.seed() * 7919 + d.seed()), labels));
        }
        return out;
    }

    /** Fits the bottleneck identifier on {@code x} (classes = the drawn sources) and reads out its 2-unit layer. */
    static float[][] bottleneck(NDManager manager, float[][] x, int[] labels, int[] drawn, Options o, long seed) {
        int[] y = new int[labels.length];
        int[][] sets = new int[labels.length][];
        for (int i = 0; i < y.length; i++) {
            y[i] = Arrays.binarySearch(drawn, labels[i]);
            sets[i] = new int[] {y[i]};
        }
        int[] all = new int[x.length];
        Arrays.setAll(all, i -> i);
        var opts = o.training().options(o.bottleneck(), o.epochs(), seed,
                o.loss() == IdentifierTrainer.Loss.HASH ? IdentifierTrainer.Loss.BCE : o.loss());
        try (NDManager m = manager.newSubManager()) {
            Features features = Features.of(m, x);
            try (IdentifierTrainer.Fitted f = IdentifierTrainer.fit(m, features, sets, all, drawn.length, opts, Progress.NONE)) {
                float[] z = f.net().preActivation(features.batch(m, all), o.bottleneck().length - 1).toFloatArray();
                float[][] xy = new float[x.length][2];
                for (int i = 0; i < x.length; i++) {
                    xy[i][0] = z[2 * i];
                    xy[i][1] = z[2 * i + 1];
                }
                return xy;
            }
        }
    }
}
