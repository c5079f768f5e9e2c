package tracelens.activations;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tracelens.error.InvalidInputException;
import tracelens.model.SafeTensors;
import tracelens.provenance.FileDigest;

/**
 * A sharded activation store (issue 18): a folder of activation files ({@code part-*.safetensors}, each a tracelens
 * activation file holding consecutive rows) and a {@code manifest.json} that lists exactly the committed shards in row
 * order, with their row counts and SHA-256, and what every shard shares: model, layers, pooling, dtype, label names,
 * provenance. Written by {@code tracelens activations --shard-rows N} and by {@code tracelens-spark gather}; read by
 * {@link ActivationFile}, one shard at a time. Pooled rows only: token-level states stay single files.
 *
 * <p>Labels are ids into the manifest's {@code label_names} in every shard, so shards written by different machines
 * agree. A store appears whole or not at all: its writers fill a work folder and rename it.
 */
public final class ActivationStore {
    public static final String FORMAT = "tracelens.activations.store/1";
    public static final String MANIFEST = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One committed shard: its file name in the folder, rows, SHA-256 of the file and its size in bytes. */
    public record Shard(String file, long rows, String sha256, long bytes) implements java.io.Serializable {}

    /**
     * The manifest. {@code metadata}: the metadata a single activation file of the same rows would carry (model,
     * layers, pool, dtype, label_names, provenance, ...), so readers see one set of keys whatever they open.
     */
    public record Manifest(long rows, List<Shard> shards, Map<String, String> metadata) implements java.io.Serializable {
        public Manifest {
            shards = List.copyOf(shards);
            metadata = Map.copyOf(metadata);
        }

        public String model() {
            return metadata.get("model");
        }
    }

    private ActivationStore() {}

    /** Whether {@code path} is a store folder (a folder with a manifest). */
    public static boolean isStore(Path path) {
        return Files.isDirectory(path) && Files.isRegularFile(path.resolve(MANIFEST));
    }

    /** The name of shard {@code index} of writer {@code part} (a Spark partition; 0 for a local run). */
    public static String shardName(int part, int index) {
        return String.format(java.util.Locale.ROOT, "part-%05d-%05d.safetensors", part, index);
    }

    /** The manifest as JSON: typed fields first (what a person reads), then the shards, then every metadata key. */
    public static String toJson(Manifest m) {
        ObjectNode root = JSON.createObjectNode();
        root.put("format", FORMAT);
        root.put("model", m.metadata().get("model"));
        root.set("layers", parseOr(m.metadata().get("layers"), JSON.createArrayNode()));
        root.put("pool", m.metadata().get("pool"));
        root.put("dtype", m.metadata().get("dtype"));
        root.put("rows", m.rows());
        root.set("label_names", parseOr(m.metadata().get("label_names"), JSON.nullNode()));
        root.set("provenance", parseOr(m.metadata().get("provenance"), JSON.nullNode()));
        ArrayNode shards = root.putArray("shards");
        for (Shard s : m.shards()) {
            shards.addObject().put("file", s.file()).put("rows", s.rows()).put("sha256", s.sha256()).put("bytes", s.bytes());
        }
        ObjectNode meta = root.putObject("metadata");
        new java.util.TreeMap<>(m.metadata()).forEach(meta::put);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode parseOr(String json, JsonNode otherwise) {
        if (json == null) {
            return otherwise;
        }
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(json);
        }
    }

    /** Reads and checks a manifest: fields present and typed, shard names plain files of the folder, rows adding up. */
    public static Manifest read(Path dir) {
        Path file = dir.resolve(MANIFEST);
        try {
            return parse(Files.readString(file), file);
        } catch (IOException e) {
            throw InvalidInputException.at(file, "cannot be read: " + e.getMessage());
        }
    }

    /** A manifest's text, read from wherever the store lies ({@code file} names it in errors). */
    public static Manifest parse(String text, Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw InvalidInputException.at(file, "is not valid JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) {
            throw InvalidInputException.at(file, "is not a JSON object");
        }
        if (!FORMAT.equals(root.path("format").asText(null))) {
            throw InvalidInputException.at(file, "field 'format'", "is " + root.path("format") + ", expected \"" + FORMAT + "\"");
        }
        JsonNode meta = root.get("metadata");
        if (meta == null || !meta.isObject()) {
            throw InvalidInputException.at(file, "field 'metadata'", "is missing or not an object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        meta.fields().forEachRemaining(e -> {
            if (!e.getValue().isTextual()) {
                throw InvalidInputException.at(file, "field 'metadata." + e.getKey() + "'", "is not a string");
            }
            metadata.put(e.getKey(), e.getValue().asText());
        });
        if (!ActivationExtractor.FORMAT.equals(metadata.get("format"))) {
            throw InvalidInputException.at(file, "field 'metadata.format'", "is " + metadata.get("format") + ", expected " + ActivationExtractor.FORMAT);
        }
        JsonNode shards = root.get("shards");
        if (shards == null || !shards.isArray() || shards.isEmpty()) {
            throw InvalidInputException.at(file, "field 'shards'", "is missing or empty");
        }
        List<Shard> out = new ArrayList<>();
        long total = 0;
        for (int i = 0; i < shards.size(); i++) {
            JsonNode s = shards.get(i);
            String where = "field 'shards[" + i + "]'";
            String name = s.path("file").asText("");
            if (!name.matches("[A-Za-z0-9._-]+\\.safetensors") || name.startsWith(".")) {
                throw InvalidInputException.at(file, where, "names '" + name + "', not a .safetensors file in the store's folder");
            }
            if (!s.path("rows").canConvertToLong() || s.path("rows").asLong() < 1) {
                throw InvalidInputException.at(file, where, "has no positive 'rows'");
            }
            String sha = s.path("sha256").asText("");
            if (!sha.matches("[0-9a-f]{64}")) {
                throw InvalidInputException.at(file, where, "has no 'sha256' (64 hex digits)");
            }
            out.add(new Shard(name, s.get("rows").asLong(), sha, s.path("bytes").asLong(-1)));
            total += s.get("rows").asLong();
        }
        if (!root.path("rows").canConvertToLong() || root.get("rows").asLong() != total) {
            throw InvalidInputException.at(file, "field 'rows'", "is " + root.path("rows") + " but the shards hold " + total + " rows");
        }
        return new Manifest(total, out, metadata);
    }

    /**
     * Checks a shard against the manifest before it is read: size and SHA-256 of the file, its format, model and
     * tensors (every shard has the first one's tensor names and row width), and its row count.
     */
    public static void verify(Path dir, Manifest m, int index, SafeTensors shard, Map<String, long[]> expectedShapes) {
        verifyFile(dir.resolve(m.shards().get(index).file()), m, index, shard, expectedShapes, true);
    }

    /**
     * As above, for a shard whose bytes lie at {@code file} (a local copy of a shard on another filesystem); with
     * {@code rememberDigest} its SHA-256 goes into the digest cache (worth it for a file that stays where it is).
     */
    public static void verifyFile(Path file, Manifest m, int index, SafeTensors shard, Map<String, long[]> expectedShapes,
            boolean rememberDigest) {
        Shard s = m.shards().get(index);
        try {
            if (s.bytes() >= 0 && Files.size(file) != s.bytes()) {
                throw InvalidInputException.at(file, "shard " + index + " is " + Files.size(file) + " bytes, the manifest says " + s.bytes());
            }
        } catch (IOException e) {
            throw InvalidInputException.at(file, "cannot read shard " + index + ": " + e.getMessage());
        }
        String sha;
        try {
            sha = rememberDigest ? FileDigest.of(file) : FileDigest.compute(file);
        } catch (IOException e) {
            throw InvalidInputException.at(file, "cannot read shard " + index + ": " + e.getMessage());
        }
        if (!sha.equals(s.sha256())) {
            throw InvalidInputException.at(file, "shard " + index + "'s SHA-256 is " + sha + ", the manifest says " + s.sha256()
                    + " (the shard was changed or replaced after the store was committed)");
        }
        Map<String, String> meta = shard.metadata();
        for (String key : List.of("format", "model", "pool", "dtype", "layers")) {
            if (!java.util.Objects.equals(meta.get(key), m.metadata().get(key))) {
                throw InvalidInputException.at(file, "shard " + index + "'s metadata '" + key + "' is " + meta.get(key) + ", the store's is "
                        + m.metadata().get(key) + " (shards of different stores or models are never mixed)");
            }
        }
        for (Map.Entry<String, long[]> e : expectedShapes.entrySet()) {
            if (!shard.contains(e.getKey())) {
                throw InvalidInputException.at(file, "shard " + index + " has no tensor '" + e.getKey() + "'");
            }
            long[] shape = shard.info(e.getKey()).shape();
            long[] want = e.getValue().clone();
            want[0] = s.rows();
            if (!Arrays.equals(shape, want)) {
                throw InvalidInputException.at(file, "shard " + index + "'s tensor '" + e.getKey() + "' has shape " + Arrays.toString(shape)
                        + ", expected " + Arrays.toString(want) + " (" + s.rows() + " rows in the manifest)");
            }
        }
        if (shard.tensors().size() != expectedShapes.size()) {
            throw InvalidInputException.at(file, "shard " + index + " holds tensors " + shard.tensors().keySet() + ", expected "
                    + expectedShapes.keySet());
        }
    }

    /**
     * A store may be written at {@code out} when nothing is there, an empty folder is, or a store is (replaced once the
     * new one is complete); any other folder or file is the user's and is refused.
     */
    public static void checkReplaceable(Path out) {
        if (!Files.exists(out) || isStore(out)) {
            return;
        }
        if (!Files.isDirectory(out)) {
            throw InvalidInputException.at(out, "is a file; a sharded store is a folder (choose another --out)");
        }
        try (var entries = Files.list(out)) {
            if (entries.findAny().isPresent()) {
                throw InvalidInputException.at(out, "is a folder that is not an activation store and not empty: it is left alone (choose another --out)");
            }
        } catch (IOException e) {
            throw InvalidInputException.at(out, "cannot be read: " + e.getMessage());
        }
    }

    /**
     * Commits a complete store: {@code content} fills a work folder beside {@code out}, which then replaces whatever
     * {@link #checkReplaceable} allowed there. Readers never see a partial store.
     */
    public static void commit(Path out, tracelens.io.AtomicFolder.Content content) throws IOException {
        checkReplaceable(out);
        Path old = null;
        if (Files.exists(out)) {
            old = out.resolveSibling("." + out.getFileName() + "." + ProcessHandle.current().pid() + "-old.partial");
            tracelens.io.AtomicFolder.deleteTree(old);
        }
        Path[] aside = {null};
        Path previous = old;
        try {
            tracelens.io.AtomicFolder.write(out, dir -> {
                content.write(dir);
                if (previous != null) { // the new store is complete: move the old one aside just before the rename
                    Files.move(out, previous, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                    aside[0] = previous;
                }
            });
        } catch (IOException | RuntimeException e) {
            if (aside[0] != null && !Files.exists(out)) {
                Files.move(aside[0], out, java.nio.file.StandardCopyOption.ATOMIC_MOVE); // the old store stays as it was
            }
            throw e;
        }
        if (aside[0] != null) {
            tracelens.io.AtomicFolder.deleteTree(aside[0]);
        }
    }

    /** Writes the manifest into a store folder (the folder is committed by renaming it afterwards). */
    public static void writeManifest(Path dir, Manifest m) throws IOException {
        Files.writeString(dir.resolve(MANIFEST), toJson(m));
    }

    /** The shard entry of a finished shard file. */
    public static Shard describe(Path shard, long rows) throws IOException {
        return new Shard(shard.getFileName().toString(), rows, FileDigest.compute(shard), Files.size(shard));
    }
}
