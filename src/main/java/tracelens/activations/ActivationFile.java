package tracelens.activations;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tracelens.error.InvalidInputException;
import tracelens.model.SafeTensors;

/** Reads back a file written by {@link ActivationExtractor}: pooled layers as row matrices, labels and names. */
public final class ActivationFile implements AutoCloseable {
    private final SafeTensors file;

    private ActivationFile(SafeTensors file) {
        this.file = file;
    }

    public static ActivationFile open(Path path) {
        SafeTensors st = SafeTensors.open(path);
        if (!ActivationExtractor.FORMAT.equals(st.metadata().get("format"))) {
            st.close();
            throw InvalidInputException.at(path, "not a tracelens activation file (metadata 'format' is "
                    + st.metadata().get("format") + ", expected " + ActivationExtractor.FORMAT + ")");
        }
        return new ActivationFile(st);
    }

    /** The underlying tensors, for readers that stream them (token-level n-gram rows). */
    public SafeTensors tensors() {
        return file;
    }

    public String metadata(String key) {
        return file.metadata().get(key);
    }

    /** The stored hidden-state indices, ascending. */
    public List<Integer> layers() {
        List<Integer> out = new ArrayList<>();
        for (String name : file.tensors().keySet()) {
            if (name.startsWith("layer.")) {
                try {
                    out.add(Integer.parseInt(name.substring("layer.".length())));
                } catch (NumberFormatException e) { // e.g. layer.99999999999 (issue 15)
                    throw InvalidInputException.at(file.path(), "tensor '" + name + "'", "is not layer.<i> with i a layer index");
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** A pooled layer as N rows of C values. */
    public float[][] pooled(int layer) {
        String name = "layer." + layer;
        long[] shape = file.info(name).shape();
        if (shape.length != 2) {
            throw InvalidInputException.at(file.path(), "tensor '" + name + "'", "is token-level " + java.util.Arrays.toString(shape)
                    + "; pooled (N, C) activations are needed here (extract with --pool mean, cls or last)");
        }
        float[] flat = file.floats(name);
        int n = (int) shape[0];
        int c = (int) shape[1];
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = java.util.Arrays.copyOfRange(flat, i * c, (i + 1) * c);
        }
        return rows;
    }

    public boolean hasLabels() {
        return file.contains("labels");
    }

    /** Labels, each checked to lie in 0..K-1 (K: the label names when the file has them), issue 15. */
    public int[] labels() {
        long[] l = file.longs("labels");
        int names = labelNames().size();
        int[] out = new int[l.length];
        for (int i = 0; i < l.length; i++) {
            if (l[i] < 0 || l[i] > Integer.MAX_VALUE || (names > 0 && l[i] >= names)) {
                throw InvalidInputException.at(file.path(), "tensor 'labels'", "row " + i + " has label " + l[i] + ", outside 0.."
                        + (names > 0 ? names - 1 : Integer.MAX_VALUE) + (names > 0 ? " (the " + names + " label_names)" : ""));
            }
            out[i] = (int) l[i];
        }
        return out;
    }

    public List<String> labelNames() {
        String json = file.metadata().get("label_names");
        if (json == null) {
            return List.of();
        }
        try {
            String[] names = new ObjectMapper().readValue(json, String[].class);
            if (names == null || java.util.Arrays.stream(names).anyMatch(java.util.Objects::isNull)) {
                throw InvalidInputException.at(file.path(), "metadata 'label_names' holds null where source names belong");
            }
            return List.of(names);
        } catch (IOException e) {
            throw InvalidInputException.at(file.path(), "metadata 'label_names' is not a JSON array of strings");
        }
    }

    @Override
    public void close() {
        file.close();
    }
}
