package tracelens.radioactive;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import tracelens.error.InvalidInputException;
import tracelens.model.SafeTensors;
import tracelens.model.SafeTensorsWriter;

/**
 * The secret key of a marking (radioactive.md §1): one random unit direction per class in the marking network's
 * feature space, u_c ~ N(0, I_d) normalised, drawn from a recorded seed and stored as the safetensors tensor
 * {@code carriers} (C x d, float32) with the seed in the metadata.
 */
public record Carriers(float[][] u, long seed) {
    public static Carriers random(int classes, int d, long seed) {
        Random r = new Random(seed);
        float[][] u = new float[classes][d];
        for (int c = 0; c < classes; c++) {
            double[] v = new double[d];
            double norm = 0;
            for (int j = 0; j < d; j++) {
                v[j] = r.nextGaussian();
                norm += v[j] * v[j];
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < d; j++) {
                u[c][j] = (float) (v[j] / norm);
            }
        }
        return new Carriers(u, seed);
    }

    public int classes() {
        return u.length;
    }

    public int dimension() {
        return u[0].length;
    }

    public void write(Path file, Map<String, String> metadata) {
        int c = classes();
        int d = dimension();
        float[] flat = tracelens.geometry.Points.flatten(u);
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("seed", Long.toString(seed));
        meta.put("format", "tracelens.carriers/1");
        SafeTensorsWriter.writeAll(file, Map.of("carriers", new long[] {c, d}), Map.of("carriers", flat), meta);
    }

    public static Carriers read(Path file) {
        try (SafeTensors st = SafeTensors.open(file)) {
            if (!st.tensors().containsKey("carriers")) {
                throw InvalidInputException.at(file, "has no 'carriers' tensor (not a key written by 'tracelens radioactive mark')");
            }
            long[] shape = st.info("carriers").shape();
            if (shape.length != 2) {
                throw InvalidInputException.at(file, "tensor 'carriers' must be 2-D (classes x dimension)");
            }
            float[] flat = st.floats("carriers");
            float[][] u = new float[(int) shape[0]][(int) shape[1]];
            for (int i = 0; i < u.length; i++) {
                System.arraycopy(flat, i * u[i].length, u[i], 0, u[i].length); // finite: checked by the reader
            }
            String seed = st.metadata().get("seed");
            return new Carriers(u, seed == null ? -1 : Long.parseLong(seed));
        }
    }
}
