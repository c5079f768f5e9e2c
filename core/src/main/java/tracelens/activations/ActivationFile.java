package tracelens.activations;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tracelens.error.InvalidInputException;
import tracelens.geometry.CloudSummary;
import tracelens.model.SafeTensors;

/**
 * Reads back activations written by {@link ActivationExtractor}: one safetensors file, or a sharded
 * {@link ActivationStore} folder read shard by shard (each shard checked against the manifest the first time it is
 * opened, and only one shard mapped at a time). Pooled layers come back as row matrices, with labels and names.
 */
public final class ActivationFile implements AutoCloseable {
    private final Path path;
    private final SafeTensors file; // a single file, or null for a store
    private final ActivationStore.Manifest manifest; // a store's, or null
    private final long[] firstRow; // a store's: row index of each shard's first row, and the total at the end
    private final Map<String, long[]> shapes; // tensor name -> shape of the whole (a store's first dimension is its rows)
    private final BitSet verified = new BitSet();
    private SafeTensors openShard;
    private int openIndex = -1;

    private ActivationFile(Path path, SafeTensors file, ActivationStore.Manifest manifest, Map<String, long[]> shapes) {
        this.path = path;
        this.file = file;
        this.manifest = manifest;
        this.shapes = shapes;
        if (manifest != null) {
            firstRow = new long[manifest.shards().size() + 1];
            for (int i = 0; i < manifest.shards().size(); i++) {
                firstRow[i + 1] = firstRow[i] + manifest.shards().get(i).rows();
            }
        } else {
            firstRow = null;
        }
    }

    /** A single activation file, or a store folder (a folder holding manifest.json). */
    public static ActivationFile open(Path path) {
        if (java.nio.file.Files.isDirectory(path)) {
            if (!ActivationStore.isStore(path)) {
                throw InvalidInputException.at(path, "is a folder without " + ActivationStore.MANIFEST + ": not a sharded activation store");
            }
            ActivationStore.Manifest m = ActivationStore.read(path);
            ActivationFile f = new ActivationFile(path, null, m, new LinkedHashMap<>());
            try {
                SafeTensors first = f.shard(0);
                f.hold(0, first); // closed with f from here on
                for (var e : first.tensors().entrySet()) { // the first shard's tensors set what every shard must hold
                    long[] shape = e.getValue().shape().clone();
                    shape[0] = m.rows();
                    f.shapes.put(e.getKey(), shape);
                }
                f.verify(0, first);
            } catch (RuntimeException e) {
                f.close();
                throw e;
            }
            return f;
        }
        SafeTensors st = SafeTensors.open(path);
        if (!ActivationExtractor.FORMAT.equals(st.metadata().get("format"))) {
            st.close();
            throw InvalidInputException.at(path, "not a tracelens activation file (metadata 'format' is "
                    + st.metadata().get("format") + ", expected " + ActivationExtractor.FORMAT + ")");
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        st.tensors().forEach((k, v) -> shapes.put(k, v.shape()));
        return new ActivationFile(path, st, null, shapes);
    }

    public Path path() {
        return path;
    }

    /** Whether this is a sharded store. */
    public boolean sharded() {
        return manifest != null;
    }

    /** The underlying tensors of a single file, for readers that stream token-level rows (n-gram features). */
    public SafeTensors tensors() {
        if (file == null) {
            throw InvalidInputException.at(path, "is a sharded store, which holds pooled rows only; token-level readers need a single"
                    + " activation file (tracelens activations --pool none without --shard-rows)");
        }
        return file;
    }

    public String metadata(String key) {
        return metadata().get(key);
    }

    /** Every metadata key (a store's manifest carries those its shards' single file would). */
    public Map<String, String> metadata() {
        return file != null ? file.metadata() : manifest.metadata();
    }

    /** Tensor names with the shape of the whole (rows first). */
    public Map<String, long[]> shapes() {
        return shapes;
    }

    public long[] shape(String name) {
        long[] s = shapes.get(name);
        if (s == null) {
            throw InvalidInputException.at(path, "no tensor '" + name + "'");
        }
        return s.clone();
    }

    /** The stored hidden-state indices, ascending. */
    public List<Integer> layers() {
        List<Integer> out = new ArrayList<>();
        for (String name : shapes.keySet()) {
            if (name.startsWith("layer.")) {
                try {
                    out.add(Integer.parseInt(name.substring("layer.".length())));
                } catch (NumberFormatException e) { // e.g. layer.99999999999 (issue 15)
                    throw InvalidInputException.at(path, "tensor '" + name + "'", "is not layer.<i> with i a layer index");
                }
            }
        }
        out.sort(null);
        return out;
    }

    /** A pooled layer as N rows of C values. */
    public float[][] pooled(int layer) {
        String name = "layer." + layer;
        long[] shape = shape(name);
        if (shape.length != 2) {
            throw InvalidInputException.at(path, "tensor '" + name + "'", "is token-level " + Arrays.toString(shape)
                    + "; pooled (N, C) activations are needed here (extract with --pool mean, cls or last)");
        }
        int c = (int) shape[1];
        float[][] rows = new float[Math.toIntExact(shape[0])][];
        int r = 0;
        for (int s = 0; s < parts(); s++) {
            float[] flat = part(s).floats(name);
            for (int i = 0; i < flat.length / c; i++) {
                rows[r++] = Arrays.copyOfRange(flat, i * c, (i + 1) * c);
            }
        }
        return rows;
    }

    /**
     * Rows of a 2-D tensor streamed block by block (geometry): a block may span shards; a store's blocks are copies,
     * so no array outlives the shard mapping it came from.
     */
    public CloudSummary.Rows rows(String name) {
        if (file != null) {
            return CloudSummary.of(file, name);
        }
        long[] shape = shape(name);
        return new CloudSummary.Rows() {
            public long count() {
                return shape[0];
            }

            public int dims() {
                return (int) shape[1];
            }

            public NDArray block(NDManager m, long from, int count) {
                NDList pieces = new NDList();
                for (long at = from; at < from + count;) {
                    int s = shardOf(at);
                    long local = at - firstRow[s];
                    int take = (int) Math.min(from + count - at, firstRow[s + 1] - at);
                    pieces.add(part(s).rowsArray(m, name, local, take).toType(DataType.FLOAT32, true));
                    at += take;
                }
                return pieces.size() == 1 ? pieces.get(0) : NDArrays.concat(pieces, 0);
            }
        };
    }

    private int shardOf(long row) {
        int i = Arrays.binarySearch(firstRow, row);
        return i >= 0 ? i : -i - 2;
    }

    public boolean hasLabels() {
        return shapes.containsKey("labels");
    }

    /** Labels, each checked to lie in 0..K-1 (K: the label names when the file has them), issue 15. */
    public int[] labels() {
        int names = labelNames().size();
        int[] out = new int[Math.toIntExact(shape("labels")[0])];
        int r = 0;
        for (int s = 0; s < parts(); s++) {
            long[] l = part(s).longs("labels");
            for (int i = 0; i < l.length; i++, r++) {
                if (l[i] < 0 || l[i] > Integer.MAX_VALUE || (names > 0 && l[i] >= names)) {
                    throw InvalidInputException.at(part(s).path(), "tensor 'labels'", "row " + i + " has label " + l[i] + ", outside 0.."
                            + (names > 0 ? names - 1 : Integer.MAX_VALUE) + (names > 0 ? " (the " + names + " label_names)" : ""));
                }
                out[r] = (int) l[i];
            }
        }
        return out;
    }

    public List<String> labelNames() {
        return labelNames(metadata(), path.toString());
    }

    /** The label names a file's or store's metadata holds ({@code where} names it in errors); empty when there are none. */
    public static List<String> labelNames(Map<String, String> metadata, String where) {
        String json = metadata.get("label_names");
        if (json == null) {
            return List.of();
        }
        try {
            String[] names = new ObjectMapper().readValue(json, String[].class);
            if (names == null || Arrays.stream(names).anyMatch(java.util.Objects::isNull)) {
                throw new InvalidInputException(where + ": metadata 'label_names' holds null where source names belong");
            }
            return List.of(names);
        } catch (IOException e) {
            throw new InvalidInputException(where + ": metadata 'label_names' is not a JSON array of strings");
        }
    }

    /** Number of parts: 1 for a file, the shards for a store. */
    private int parts() {
        return file != null ? 1 : manifest.shards().size();
    }

    /** Part {@code s}: the file, or shard s (opened, and checked the first time, closing the previously open one). */
    private SafeTensors part(int s) {
        if (file != null) {
            return file;
        }
        if (openIndex == s) {
            return openShard;
        }
        SafeTensors st = shard(s);
        if (!verified.get(s)) {
            try {
                verify(s, st);
            } catch (RuntimeException e) {
                st.close();
                throw e;
            }
        }
        hold(s, st);
        return st;
    }

    private SafeTensors shard(int s) {
        Path p = path.resolve(manifest.shards().get(s).file());
        if (!java.nio.file.Files.isRegularFile(p)) {
            throw InvalidInputException.at(p, "shard " + s + " listed in " + ActivationStore.MANIFEST + " is missing");
        }
        return SafeTensors.open(p);
    }

    /** Makes {@code st} the one open shard, closing the one held before. */
    private void hold(int s, SafeTensors st) {
        closeShard();
        openShard = st;
        openIndex = s;
    }

    private void verify(int s, SafeTensors st) {
        ActivationStore.verify(path, manifest, s, st, shapes);
        verified.set(s);
    }

    private void closeShard() {
        if (openShard != null) {
            openShard.close();
            openShard = null;
            openIndex = -1;
        }
    }

    @Override
    public void close() {
        if (file != null) {
            file.close();
        }
        closeShard();
    }
}
