package tracelens.spark;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import tracelens.activations.ActivationStore;
import tracelens.error.InvalidInputException;
import tracelens.model.SafeTensors;

/**
 * A sharded activation store on any Hadoop filesystem, as Spark tasks read it: the manifest (read on the driver,
 * shipped with the tasks) and one shard at a time, opened where it lies when local or from a local copy otherwise, and
 * checked against the manifest (size, SHA-256, metadata, shapes) before any row is used.
 */
final class SparkStore implements Serializable {
    private static final long serialVersionUID = 1L;

    final String dir;
    final ActivationStore.Manifest manifest;
    final LinkedHashMap<String, long[]> shapes; // tensor -> shape of one row block (first dimension: the first shard's rows)

    private SparkStore(String dir, ActivationStore.Manifest manifest, LinkedHashMap<String, long[]> shapes) {
        this.dir = dir;
        this.manifest = manifest;
        this.shapes = shapes;
    }

    /** Reads the manifest and the first shard's tensor list on the driver. */
    static SparkStore open(String dir, Configuration conf) {
        Path root = new Path(dir);
        if (!HadoopPaths.exists(root, conf)) {
            throw new InvalidInputException(dir + ": the store does not exist");
        }
        Path manifestPath = new Path(root, ActivationStore.MANIFEST);
        if (!HadoopPaths.exists(manifestPath, conf)) {
            throw new InvalidInputException(dir + ": no " + ActivationStore.MANIFEST + ", so not a sharded activation store");
        }
        String text;
        try (var in = HadoopPaths.fs(manifestPath, conf).open(manifestPath)) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + manifestPath + ": " + e.getMessage(), e);
        }
        ActivationStore.Manifest m = ActivationStore.parse(text, java.nio.file.Path.of(manifestPath.toString()));
        SparkStore store = new SparkStore(dir, m, new LinkedHashMap<>());
        store.withShard(0, conf, st -> {
            st.tensors().forEach((name, info) -> {
                long[] s = info.shape().clone();
                s[0] = m.rows();
                store.shapes.put(name, s);
            });
            return null;
        });
        return store;
    }

    interface ShardWork<T> {
        T apply(SafeTensors shard) throws IOException;
    }

    /** Runs {@code work} on shard {@code index}, verified, then closes it (and deletes a local copy). */
    <T> T withShard(int index, Configuration conf, ShardWork<T> work) {
        ActivationStore.Shard s = manifest.shards().get(index);
        Path remote = new Path(new Path(dir), s.file());
        java.nio.file.Path local = null;
        java.nio.file.Path copy = null;
        try {
            FileSystem fs = HadoopPaths.fs(remote, conf);
            if (!fs.exists(remote)) {
                throw new InvalidInputException(remote + ": shard " + index + " listed in " + ActivationStore.MANIFEST + " is missing");
            }
            String scheme = remote.toUri().getScheme();
            if (scheme == null || scheme.equals("file")) {
                local = java.nio.file.Path.of(remote.toUri().getPath());
            } else {
                copy = Files.createTempFile("tracelens-shard-", ".safetensors");
                fs.copyToLocalFile(false, remote, new Path(copy.toUri()), true);
                local = copy;
            }
            try (SafeTensors st = SafeTensors.open(local)) {
                Map<String, long[]> expected = shapes.isEmpty() ? shapesOf(st) : shapes;
                // a temporary copy's digest is not worth remembering (each copy has a path of its own)
                ActivationStore.verifyFile(local, manifest, index, st, expected, copy == null);
                return work.apply(st);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + remote + ": " + e.getMessage(), e);
        } finally {
            if (copy != null) {
                try {
                    Files.deleteIfExists(copy);
                } catch (IOException ignored) {
                    // a temporary file
                }
            }
        }
    }

    private static Map<String, long[]> shapesOf(SafeTensors st) {
        Map<String, long[]> out = new LinkedHashMap<>();
        st.tensors().forEach((name, info) -> out.put(name, info.shape()));
        return out;
    }

    /** The stored layers (tensors layer.<i>), ascending. */
    java.util.List<Integer> layers() {
        return shapes.keySet().stream().filter(n -> n.matches("layer\\.\\d+")).map(n -> Integer.parseInt(n.substring(6))).sorted().toList();
    }

    int shards() {
        return manifest.shards().size();
    }

    /** The store's row index of each shard's first row. */
    long[] firstRows() {
        long[] out = new long[shards()];
        for (int i = 1; i < out.length; i++) {
            out[i] = out[i - 1] + manifest.shards().get(i - 1).rows();
        }
        return out;
    }
}
