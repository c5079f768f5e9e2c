package tracelens.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tracelens.activations.ActivationExtractor;
import tracelens.activations.ActivationFile;
import tracelens.activations.Pooling;
import tracelens.corpus.Document;
import tracelens.corpus.PassageSampler;
import tracelens.corpus.SotuCorpus;
import tracelens.corpus.TextColumns;
import tracelens.corpus.TextInput;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.progress.Progress;
import tracelens.sip.NearestCentroid;

/**
 * The main job on the embedded defaults: State of the Union passages labelled by president, every hidden
 * layer of the model, and per layer how well a training-free nearest-centroid identifier tells the president
 * of passages from held-out addresses.
 */
public final class SotuDemo {
    public record Options(Path out, int words, int trainPerSource, int testPerSource, long seed, int batchSize, int maxLength) {}

    public record LayerResult(int layer, double accuracy, double meanCosine) {}

    public record Result(String model, int sources, int trainPassages, int testPassages, double chance,
            List<LayerResult> layers, Path passages, Path activations, ActivationExtractor.Summary extraction) {}

    private SotuDemo() {}

    public static Result run(HiddenStateModel model, Path cache, Options o, Progress progress) {
        List<Document> docs = SotuCorpus.documents(SotuCorpus.read(SotuCorpus.dataDir(cache)), SotuCorpus.SourceField.PRESIDENT);
        List<PassageSampler.Passage> passages = PassageSampler.sample(docs, new PassageSampler.Options(o.words(),
                o.trainPerSource() + o.testPerSource(), 2, Integer.MAX_VALUE, PassageSampler.Split.DOCUMENT,
                (double) o.testPerSource() / (o.trainPerSource() + o.testPerSource()), o.seed())).passages();
        Path jsonl = o.out().resolve("passages.jsonl");
        writePassages(jsonl, passages);

        Path acts = o.out().resolve("activations.safetensors");
        int[] all = new int[model.numLayers() + 1];
        for (int i = 0; i < all.length; i++) {
            all[i] = i;
        }
        var summary = ActivationExtractor.extract(model, TextInput.of(jsonl, new TextColumns("text", "source")),
                new ActivationExtractor.Options(all, Pooling.MEAN, o.maxLength(), o.batchSize(), DType.F32),
                acts, Map.of("corpus", SotuCorpus.PACKAGE + "@" + SotuCorpus.VERSION, "seed", String.valueOf(o.seed())), progress);

        List<LayerResult> layers = new ArrayList<>();
        int k;
        int nTrain = (int) passages.stream().filter(p -> !p.test()).count();
        try (ActivationFile file = ActivationFile.open(acts)) {
            int[] labels = file.labels();
            k = file.labelNames().size();
            for (int layer : file.layers()) {
                float[][] x = file.pooled(layer);
                float[][] trainX = new float[nTrain][];
                int[] trainY = new int[nTrain];
                float[][] testX = new float[x.length - nTrain][];
                int[] testY = new int[x.length - nTrain];
                for (int i = 0, a = 0, b = 0; i < x.length; i++) {
                    if (passages.get(i).test()) {
                        testX[b] = x[i];
                        testY[b++] = labels[i];
                    } else {
                        trainX[a] = x[i];
                        trainY[a++] = labels[i];
                    }
                }
                double acc = NearestCentroid.fit(trainX, trainY, k).accuracy(testX, testY);
                layers.add(new LayerResult(layer, acc, NearestCentroid.meanPairwiseCosine(x)));
            }
        }
        Result r = new Result(model.id(), k, nTrain, passages.size() - nTrain, 1.0 / k, layers, jsonl, acts, summary);
        writeSummary(o.out().resolve("summary.json"), r);
        return r;
    }

    private static void writePassages(Path file, List<PassageSampler.Passage> passages) {
        ObjectMapper json = new ObjectMapper();
        try {
            Files.createDirectories(file.getParent());
            Path tmp = Files.createTempFile(file.getParent(), ".passages", ".partial");
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (PassageSampler.Passage p : passages) {
                    ObjectNode n = json.createObjectNode();
                    n.put("text", p.text()).put("source", p.source()).put("document", p.document())
                            .put("split", p.test() ? "test" : "train");
                    w.write(json.writeValueAsString(n));
                    w.newLine();
                }
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The result as JSON (also what {@code demo --json} prints). */
    public static ObjectNode toJson(Result r) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode n = json.createObjectNode();
        n.put("model", r.model());
        n.put("corpus", SotuCorpus.PACKAGE + "@" + SotuCorpus.VERSION);
        n.put("sources", r.sources());
        n.put("train_passages", r.trainPassages());
        n.put("test_passages", r.testPassages());
        n.put("chance_accuracy", r.chance());
        n.put("tokens", r.extraction().tokens());
        n.put("tokens_per_second", r.extraction().tokensPerSecond());
        n.put("activations", r.activations().toString());
        var arr = n.putArray("layers");
        for (LayerResult l : r.layers()) {
            arr.addObject().put("layer", l.layer()).put("nearest_centroid_accuracy", l.accuracy()).put("mean_cosine", l.meanCosine());
        }
        return n;
    }

    private static void writeSummary(Path file, Result r) {
        try {
            Path tmp = Files.createTempFile(file.getParent(), ".summary", ".partial");
            new ObjectMapper().writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), toJson(r));
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
