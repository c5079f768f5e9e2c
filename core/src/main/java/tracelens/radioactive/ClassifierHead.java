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
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", "tracelens.head/1");
        meta.put("kind", hidden == null ? "linear" : "mlp");
        SafeTensorsWriter.writeArrays(file, params.asMap(), meta);
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

    /** Features (n x d_t) of {@code x}. */
    public double[][] features(NDManager root, float[][] x) {
        float[] flat = batched(root, x, this::features);
        int d = flat.length / x.length;
        double[][] res = new double[x.length][d];
        for (int i = 0; i < x.length; i++) {
            for (int j = 0; j < d; j++) {
                res[i][j] = flat[i * d + j];
            }
        }
        return res;
    }

    /** Logits of {@code x}, row-major (n x classes). */
    public float[] logits(NDManager root, float[][] x) {
        return batched(root, x, this::forward);
    }

    /** {@code fn} over the rows of {@code x} in batches of 1,024, as one row-major array. */
    private static float[] batched(NDManager root, float[][] x, java.util.function.UnaryOperator<NDArray> fn) {
        float[] out = null;
        for (int from = 0; from < x.length; from += 1024) {
            int to = Math.min(x.length, from + 1024);
            try (NDManager scope = root.newSubManager()) {
                NDArray y = fn.apply(scope.create(tracelens.geometry.Points.flatten(x, from, to), new Shape(to - from, x[0].length)));
                int width = (int) y.getShape().get(1);
                if (out == null) {
                    out = new float[x.length * width];
                }
                System.arraycopy(y.toFloatArray(), 0, out, from * width, (to - from) * width);
            }
        }
        return out;
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
