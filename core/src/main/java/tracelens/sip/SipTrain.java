package tracelens.sip;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import tracelens.activations.ActivationFile;
import tracelens.error.InvalidInputException;
import tracelens.progress.Progress;
import tracelens.random.Mt19937;
import tracelens.runtime.DjlRuntime;

/**
 * Trains identifiers on a {@link SipGather} cache, layer by layer (sip.md §3-7): inputs are the sentence vector
 * (mean over real tokens, optionally through a learnable LayerNorm) or token-level unigram/bigram/trigram rows streamed
 * from the mapped cache; the split is the samples' own (no sample on both sides) or, for parity with the original
 * code, numpy's legacy permutation of the flattened rows ({@code token-row}); losses BCE over one-hot, softmax CE,
 * binary hash, or multi-label BCE whose targets are every source an identical text was found under. Reports linear
 * and MLP held-out accuracy (precision@1 for multi-label), top-5 and macro-F1 of the linear probe.
 */
public final class SipTrain {
    public enum Input { SENTENCE, UNIGRAM, BIGRAM, TRIGRAM;
        int ngram() {
            return ordinal();
        }
    }

    public enum SplitMode { DOCUMENT, TOKEN_ROW }

    /** {@code training}: the protocol, optimiser, activation and warm-up steps set on each identifier's options. */
    public record Options(int[] layers, Input input, boolean linear, boolean mlp, int[] hidden, boolean layerNorm,
            IdentifierTrainer.Loss loss, int epochs, int batchSize, double lr, int patience, SplitMode split, double trainFraction,
            long seedData, long seed, boolean includePadRows, java.util.function.UnaryOperator<IdentifierTrainer.Options> training) {
        public Options(int[] layers, Input input, boolean linear, boolean mlp, int[] hidden, boolean layerNorm,
                IdentifierTrainer.Loss loss, int epochs, int batchSize, double lr, int patience, SplitMode split, double trainFraction,
                long seedData, long seed, boolean includePadRows) {
            this(layers, input, linear, mlp, hidden, layerNorm, loss, epochs, batchSize, lr, patience, split, trainFraction, seedData,
                    seed, includePadRows, t -> t);
        }
    }

    /** {@code macroF1Low}/{@code High}: its 95% bootstrap interval. */
    public record LayerResult(int layer, double linearAccuracy, double mlpAccuracy, double top5Accuracy, double macroF1,
            double macroF1Low, double macroF1High, int trainRows, int testRows, int linearEpochs, int mlpEpochs) {}

    public record Result(String model, List<String> sources, double chance, int samples, List<LayerResult> layers) {}

    private SipTrain() {}

    public static Result train(Path dir, Options o, Progress progress) {
        return train(dir, o, progress, null);
    }

    /**
     * As above; with {@code identifiers} not null, every trained identifier is saved there as
     * {@code layer<L>-linear|mlp.safetensors} (SavedIdentifier: parameters, source names, model and digest, layer,
     * the features it reads).
     */
    public static Result train(Path dir, Options o, Progress progress, Path identifiers) {
        Path samplesFile = dir.resolve(SipGather.SAMPLES);
        boolean bare = bareStore(dir);
        Path acts = activations(dir);
        if (bare && o.split() != SplitMode.TOKEN_ROW) {
            throw InvalidInputException.at(dir, "is an activation store without the passages a SIP cache keeps (" + SipGather.SAMPLES
                    + "), so it has no document split: use --split token-row (a seeded draw of rows)");
        }
        if (!bare && (!Files.isRegularFile(acts) || !Files.isRegularFile(samplesFile))) {
            throw InvalidInputException.at(dir, "not a SIP cache (expected " + SipGather.SAMPLES + " and " + SipGather.ACTIVATIONS
                    + "; build it with 'tracelens sip gather')");
        }
        try (ActivationFile file = ActivationFile.open(acts); NDManager manager = DjlRuntime.manager()) {
            if (!file.hasLabels()) {
                throw InvalidInputException.at(acts, "not a labelled tracelens activation cache");
            }
            List<String> names = file.labelNames();
            int k = names.size();
            if (k < 2) {
                throw InvalidInputException.at(acts, "has " + k + " source; identification needs at least 2");
            }
            int[] stored = file.labels();
            int n = stored.length;
            List<Sample> samples = bare ? storeSamples(stored, names) : readSamples(samplesFile, n);
            int[][] sets = labelSets(samples, stored, o.loss() == IdentifierTrainer.Loss.MULTILABEL);
            List<Integer> cached = file.layers();
            int[] layers = o.layers() == null ? cached.stream().mapToInt(Integer::intValue).toArray() : o.layers();
            for (int l : layers) {
                if (!cached.contains(l)) {
                    throw InvalidInputException.at(acts, "layer " + l + " is not in the cache (cached: " + cached
                            + "); gather it first, or choose --layers among these");
                }
            }
            List<LayerResult> results = new ArrayList<>();
            Saver saver = identifiers == null ? null : new Saver(identifiers, file.metadata("model"),
                    tracelens.provenance.Provenance.modelDigest(file.metadata("model")), names, o);
            for (int layer : layers) {
                results.add(layer(manager, file, layer, samples, sets, k, o, progress, saver));
            }
            return new Result(file.metadata("model"), names, 1.0 / k, n, results);
        }
    }

    /** Where and as what sip train saves its identifiers. */
    private record Saver(Path dir, String model, String digest, List<String> names, Options o) {
        void save(Identifier net, int layer, String probe, int[] hidden) {
            String features = o.input() == Input.SENTENCE ? "mean over real tokens, learnable LayerNorm (sip train --input sentence)"
                    : SavedIdentifier.tokenRows(o.input().ngram(), "sip train --input " + o.input().name().toLowerCase(java.util.Locale.ROOT));
            SavedIdentifier.save(net, new SavedIdentifier.Info(model, digest, layer, features, names, hidden, o.layerNorm(), net.inputs(),
                    null, net.activation()), dir.resolve("layer" + layer + "-" + probe + ".safetensors"));
        }
    }

    private static LayerResult layer(NDManager manager, ActivationFile file, int layer, List<Sample> samples, int[][] sampleSets, int k,
            Options o, Progress progress, Saver saver) {
        try (NDManager m = manager.newSubManager()) {
            Features x;
            int[] rowSample;
            if (o.input() == Input.SENTENCE) {
                long[] shape = file.shape("layer." + layer);
                float[][] pooled = shape.length == 3 ? CachedFeatures.meanPooled(file.tensors(), layer) : file.pooled(layer);
                x = Features.of(m, pooled);
                rowSample = new int[pooled.length];
                Arrays.setAll(rowSample, i -> i);
            } else {
                CachedFeatures cf = CachedFeatures.ngram(file.tensors(), layer, o.input().ngram(), o.includePadRows());
                x = cf;
                rowSample = new int[cf.rows()];
                Arrays.setAll(rowSample, cf::sampleOf);
            }
            int[][] rowSets = new int[rowSample.length][];
            for (int r = 0; r < rowSample.length; r++) {
                rowSets[r] = sampleSets[rowSample[r]];
            }
            int[][] split = split(rowSample, samples, sampleSets, o);
            for (int side = 0; side < 2; side++) { // repeats of a multi-label text are left out (their first copy stands for them)
                split[side] = Arrays.stream(split[side]).filter(r -> rowSets[r] != null).toArray();
            }
            if (split[0].length == 0 || split[1].length == 0) {
                throw new InvalidInputException("layer " + layer + ": the split leaves " + split[0].length + " training and "
                        + split[1].length + " held-out rows; use more samples or another --split (with one sample per source,"
                        + " --split token-row)");
            }
            double linAcc = Double.NaN;
            double mlpAcc = Double.NaN;
            double top5 = Double.NaN;
            double f1 = Double.NaN;
            double[] f1Ci = {Double.NaN, Double.NaN};
            int linEpochs = 0;
            int mlpEpochs = 0;
            if (o.linear()) {
                var opts = options(o, Identifier.LINEAR);
                try (IdentifierTrainer.Fitted f = IdentifierTrainer.fit(m, x, rowSets, split[0], k, opts,
                        Progress.named(progress, "layer " + layer + " linear"))) {
                    Scores s = score(m, f, x, rowSets, split[1], k, o.loss(), o.seed() * 31 + layer);
                    linAcc = s.accuracy;
                    top5 = s.top5;
                    f1 = s.macroF1;
                    f1Ci = s.macroF1Ci95;
                    linEpochs = f.epochsRun();
                    if (saver != null) {
                        saver.save(f.net(), layer, "linear", Identifier.LINEAR);
                    }
                }
            }
            if (o.mlp()) {
                var opts = options(o, o.hidden());
                try (IdentifierTrainer.Fitted f = IdentifierTrainer.fit(m, x, rowSets, split[0], k, opts,
                        Progress.named(progress, "layer " + layer + " MLP"))) {
                    Scores s = score(m, f, x, rowSets, split[1], k, o.loss(), o.seed() * 31 + layer);
                    mlpAcc = s.accuracy;
                    mlpEpochs = f.epochsRun();
                    if (saver != null) {
                        saver.save(f.net(), layer, "mlp", o.hidden());
                    }
                    if (!o.linear()) {
                        top5 = s.top5;
                        f1 = s.macroF1;
                        f1Ci = s.macroF1Ci95;
                    }
                }
            }
            return new LayerResult(layer, linAcc, mlpAcc, top5, f1, f1Ci[0], f1Ci[1], split[0].length, split[1].length, linEpochs, mlpEpochs);
        }
    }

    private static IdentifierTrainer.Options options(Options o, int[] hidden) {
        return o.training().apply(new IdentifierTrainer.Options(hidden, o.epochs(), o.batchSize(), o.lr(), 5.0, o.patience(), o.seed(),
                o.loss(), o.layerNorm()));
    }

    private record Scores(double accuracy, double top5, double macroF1, double[] macroF1Ci95) {}

    /** Held-out scores, streamed batch by batch: accuracy (a hit = the top class is among the row's labels), top-5, macro-F1. */
    private static Scores score(NDManager m, IdentifierTrainer.Fitted f, Features x, int[][] sets, int[] rows, int k,
            IdentifierTrainer.Loss loss, long seed) {
        int[] predicted = new int[rows.length];
        int[] truth = new int[rows.length];
        long[] hits = new long[2];
        f.forEachBatch(m, x, rows, (from, z) -> {
            float[] scores = loss == IdentifierTrainer.Loss.HASH ? BinaryHash.toScores(z, k) : z;
            int b = scores.length / k;
            int[] arg = Metrics.argmax(scores, k);
            for (int i = 0; i < b; i++) {
                int[] set = sets[rows[from + i]];
                predicted[from + i] = arg[i];
                truth[from + i] = set[0];
                boolean hit = false;
                for (int c : set) {
                    hit |= c == arg[i];
                }
                hits[0] += hit ? 1 : 0;
                int ahead = 0; // classes scored above the first label (ties to the lower index), as Metrics.topK
                float v = scores[i * k + set[0]];
                for (int c = 0; c < k; c++) {
                    if (scores[i * k + c] > v || (scores[i * k + c] == v && c < set[0])) {
                        ahead++;
                    }
                }
                hits[1] += ahead < 5 ? 1 : 0;
            }
        });
        return new Scores((double) hits[0] / rows.length, (double) hits[1] / rows.length, Metrics.macroF1(predicted, truth, k),
                Metrics.macroF1Interval(predicted, truth, k, Metrics.BOOTSTRAP_RESAMPLES, seed));
    }

    /** Training and held-out row indices. */
    private static int[][] split(int[] rowSample, List<Sample> samples, int[][] sampleSets, Options o) {
        int rows = rowSample.length;
        if (o.split() == SplitMode.TOKEN_ROW) {
            // numpy's RandomState(seedData).choice(rows, int(fraction rows), replace=False): the first entries of its permutation
            int[] perm = Mt19937.legacyPermutation(rows, o.seedData());
            int cut = (int) (o.trainFraction() * rows);
            return new int[][] {Arrays.copyOf(perm, cut), Arrays.copyOfRange(perm, cut, rows)};
        }
        List<Integer> train = new ArrayList<>();
        List<Integer> test = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            (samples.get(rowSample[r]).test ? test : train).add(r);
        }
        return new int[][] {train.stream().mapToInt(Integer::intValue).toArray(), test.stream().mapToInt(Integer::intValue).toArray()};
    }

    private record Sample(String text, String source, boolean test) {}

    /** A sharded activation store given as the cache itself (tracelens-spark gather, activations --shard-rows). */
    public static boolean bareStore(Path dir) {
        return tracelens.activations.ActivationStore.isStore(dir) && !Files.isRegularFile(dir.resolve(SipGather.SAMPLES));
    }

    /** The activations of a cache: its activation file, or the folder itself when it is a bare store. */
    public static Path activations(Path dir) {
        return bareStore(dir) ? dir : dir.resolve(SipGather.ACTIVATIONS);
    }

    /** A bare store's rows as samples: one per row, its label as the source (the split is the token-row draw). */
    private static List<Sample> storeSamples(int[] labels, List<String> names) {
        List<Sample> out = new ArrayList<>(labels.length);
        for (int label : labels) {
            out.add(new Sample("", names.get(label), false));
        }
        return out;
    }

    private static List<Sample> readSamples(Path file, int expected) {
        List<Sample> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int no = 0;
            while ((line = r.readLine()) != null) {
                no++;
                JsonNode n = json.readTree(line);
                if (n == null || !n.hasNonNull("text") || !n.hasNonNull("source")) {
                    throw InvalidInputException.at(file, "line " + no, "expected {text, source, split}");
                }
                out.add(new Sample(n.get("text").asText(), n.get("source").asText(), "test".equals(n.path("split").asText())));
            }
        } catch (IOException e) {
            throw InvalidInputException.at(file, "cannot read: " + e.getMessage());
        }
        if (out.size() != expected) {
            throw InvalidInputException.at(file, out.size() + " samples but the activation cache holds " + expected
                    + " rows: the cache is incomplete or from other samples (gather again)");
        }
        return out;
    }

    /**
     * Each sample's classes. Single-label: its stored label. Multi-label: every source under which the same text occurs;
     * later repeats of a text get null (they are the same input and would otherwise also leak across the split).
     */
    private static int[][] labelSets(List<Sample> samples, int[] stored, boolean multi) {
        int[][] out = new int[samples.size()][];
        if (!multi) {
            for (int i = 0; i < out.length; i++) {
                out[i] = new int[] {stored[i]};
            }
            return out;
        }
        Map<String, TreeSet<Integer>> byText = new LinkedHashMap<>();
        Map<String, Integer> firstIndex = new LinkedHashMap<>();
        for (int i = 0; i < samples.size(); i++) {
            byText.computeIfAbsent(samples.get(i).text(), t -> new TreeSet<>()).add(stored[i]);
            firstIndex.putIfAbsent(samples.get(i).text(), i);
        }
        for (int i = 0; i < samples.size(); i++) {
            String t = samples.get(i).text();
            if (firstIndex.get(t) == i) {
                // the sample's own label first (stratification and macro-F1 use it), then the others
                int own = stored[i];
                List<Integer> set = new ArrayList<>(List.of(own));
                byText.get(t).stream().filter(c -> c != own).forEach(set::add);
                out[i] = set.stream().mapToInt(Integer::intValue).toArray();
            }
        }
        return out;
    }
}
