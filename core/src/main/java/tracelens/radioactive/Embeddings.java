package tracelens.radioactive;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tracelens.activations.ActivationFile;
import tracelens.error.InvalidInputException;
import tracelens.model.DType;
import tracelens.model.SafeTensorsWriter;

/**
 * A set of labelled embeddings: one pooled layer of a tracelens activation file (the format 'tracelens activations'
 * writes, which is also what marking writes back, so marked embeddings open wherever activations do).
 */
public record Embeddings(float[][] x, int[] y, List<String> labelNames, int layer, Map<String, String> metadata) {
    /** {@code layer} null: the file's last stored layer. */
    public static Embeddings read(Path file, Integer layer) {
        try (ActivationFile f = ActivationFile.open(file)) {
            if (!f.hasLabels()) {
                throw InvalidInputException.at(file, "has no labels tensor: extract with a label column (--source-column)");
            }
            List<Integer> layers = f.layers();
            if (layers.isEmpty()) {
                throw InvalidInputException.at(file, "holds no layer.<i> tensors");
            }
            int l = layer != null ? layer : layers.get(layers.size() - 1);
            if (!layers.contains(l)) {
                throw InvalidInputException.at(file, "has no layer " + l + " (stored: " + layers + ")");
            }
            float[][] x = f.pooled(l); // non-finite values are refused by the reader, naming tensor and element
            Map<String, String> meta = new LinkedHashMap<>(f.metadata());
            return new Embeddings(x, f.labels(), f.labelNames(), l, meta);
        }
    }

    public int classes() {
        return labelNames.isEmpty() ? java.util.Arrays.stream(y).max().orElse(0) + 1 : labelNames.size();
    }

    public int dimension() {
        return x[0].length;
    }

    public Embeddings withRows(float[][] rows) {
        return new Embeddings(rows, y, labelNames, layer, metadata);
    }

    /** Writes layer.{layer} and labels with the metadata, plus {@code extra}. */
    public void write(Path file, Map<String, String> extra) {
        int n = x.length;
        int d = dimension();
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.putAll(extra);
        meta.put("format", "tracelens.activations/1");
        meta.putIfAbsent("pool", "mean");
        try {
            meta.put("label_names", new ObjectMapper().writeValueAsString(labelNames));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        List<SafeTensorsWriter.Spec> specs = new ArrayList<>();
        specs.add(new SafeTensorsWriter.Spec("layer." + layer, DType.F32, new long[] {n, d}));
        specs.add(new SafeTensorsWriter.Spec("labels", DType.I64, new long[] {n}));
        try (SafeTensorsWriter w = SafeTensorsWriter.create(file, specs, meta)) {
            w.writeFloats("layer." + layer, 0, tracelens.geometry.Points.flatten(x));
            w.writeLongs("labels", 0, java.util.Arrays.stream(y).asLongStream().toArray());
            w.commit();
        }
    }
}
