package tracelens.radioactive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import tracelens.error.InvalidInputException;
import tracelens.model.SafeTensors;
import tracelens.model.SafeTensorsWriter;
import tracelens.nn.Linear;
import tracelens.nn.Module;
import tracelens.nn.Parameters;

/**
 * A classifier trained on embeddings, as a suspect would train one on published vectors: linear (softmax regression)
 * or an MLP with one ReLU hidden layer. Its features are the input of the final layer (the embeddings themselves for
 * the linear head, the hidden activations for the MLP), which is what the white-box test aligns.
 */
public final class ClassifierHead implements Module {
    private final Linear hidden; // null for the linear head
    private final Linear out;
    private final Parameters params = new Parameters();

    private ClassifierHead(Linear hidden, Linear out) {
        this.hidden = hidden;
        this.out = out;
        if (hidden != null) {
            params.addAll("hidden", hidden.parameters());
        }
        params.addAll("out", out.parameters());
    }

    /** {@code hiddenSize} 0: linear. */
    public static ClassifierHead create(NDManager m, int in, int hiddenSize, int classes, Random r) {
        Linear h = hiddenSize > 0 ? new Linear(m, in, hiddenSize, true, r) : null;
        return new ClassifierHead(h, new Linear(m, hiddenSize > 0 ? hiddenSize : in, classes, true, r));
    }

    public NDArray features(NDArray x) {
        return hidden == null ? x : Activation.relu(hidden.forward(x));
    }

    public NDArray forward(NDArray x) {
        return out.forward(features(x));
    }

    /** The final layer's weight (classes x features). */
    public double[][] classifier() {
        return rows(params.get("out.weight"));
    }

    public void save(Path file, Map<String, String> metadata) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        for (var e : params.asMap().entrySet()) {
            shapes.put(e.getKey(), e.getValue().getShape().getShape());
            values.put(e.getKey(), e.getValue().toFloatArray());
        }
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", "tracelens.head/1");
        meta.put("kind", hidden == null ? "linear" : "mlp");
        SafeTensorsWriter.writeAll(file, shapes, values, meta);
    }

    public static ClassifierHead load(NDManager m, Path file) {
        try (SafeTensors st = SafeTensors.open(file)) {
            if (!"tracelens.head/1".equals(st.metadata().get("format"))) {
                throw InvalidInputException.at(file, "is not a head written by 'tracelens radioactive train-head'");
            }
            Linear h = null;
            if (st.contains("hidden.weight")) {
                long[] s = st.info("hidden.weight").shape();
                h = new Linear(m, st.floats("hidden.weight"), st.floats("hidden.bias"), (int) s[1], (int) s[0]);
            }
            long[] s = st.info("out.weight").shape();
            return new ClassifierHead(h, new Linear(m, st.floats("out.weight"), st.floats("out.bias"), (int) s[1], (int) s[0]));
        }
    }

    /** Features (n x d_t) of {@code x}, in batches. */
    public double[][] features(NDManager root, float[][] x) {
        double[][] res = new double[x.length][];
        for (int from = 0; from < x.length; from += 1024) {
            int to = Math.min(x.length, from + 1024);
            try (NDManager scope = root.newSubManager()) {
                float[] flat = new float[(to - from) * x[0].length];
                for (int i = from; i < to; i++) {
                    System.arraycopy(x[i], 0, flat, (i - from) * x[0].length, x[0].length);
                }
                double[][] f = rows(features(scope.create(flat, new Shape(to - from, x[0].length))));
                System.arraycopy(f, 0, res, from, to - from);
            }
        }
        return res;
    }

    private static double[][] rows(NDArray a) {
        int r = (int) a.getShape().get(0);
        int c = (int) a.getShape().get(1);
        float[] v = a.toFloatArray();
        double[][] out = new double[r][c];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                out[i][j] = v[i * c + j];
            }
        }
        return out;
    }

    @Override
    public Parameters parameters() {
        return params;
    }

    @Override
    public void close() {
        if (hidden != null) {
            hidden.close();
        }
        out.close();
    }
}
