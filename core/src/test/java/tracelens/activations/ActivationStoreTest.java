package tracelens.activations;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.testing.CliRun;

/**
 * Issue 18, outcome 2: `activations --shard-rows N` writes a sharded store whose rows are the single file's bit for bit,
 * every reader (geometry, sip train, ilm, radioactive) gives the single file's numbers from it, and a store that
 * disagrees with its manifest, or a run that fails, is refused with exit 2 and leaves nothing behind.
 */
class ActivationStoreTest {
    @TempDir
    static Path dir;
    static Path texts;
    static Path single;
    static Path store;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void extract() throws IOException {
        List<String> lines = new ArrayList<>();
        String[] topics = {"the film was a joy from start to finish", "a dull and tiresome plot", "the actors shine in every scene"};
        for (int i = 0; i < 47; i++) { // 47 = 4 shards of 13 rows and one of 8: the last shard is short
            String source = i % 3 == 0 ? "alpha" : i % 3 == 1 ? "beta" : "gamma";
            lines.add(JSON.writeValueAsString(JSON.createObjectNode().put("text", topics[i % 3] + " number " + i + (i % 5 == 0 ? " again" : ""))
                    .put("source", source)));
        }
        texts = Files.write(dir.resolve("t.jsonl"), lines);
        single = dir.resolve("single.safetensors");
        store = dir.resolve("store");
        CliRun a = CliRun.of("activations", "--input", texts.toString(), "--out", single.toString(), "--quiet");
        assertThat(a.exitCode()).as(a.err()).isZero();
        CliRun b = CliRun.of("activations", "--input", texts.toString(), "--out", store.toString(), "--shard-rows", "13", "--json", "--quiet");
        assertThat(b.exitCode()).as(b.err()).isZero();
        assertThat(JSON.readTree(b.out()).get("shards").asInt()).isEqualTo(4);
    }

    @Test
    void theStoreHoldsTheSingleFilesRowsInShardsTheManifestDescribes() throws IOException {
        JsonNode m = JSON.readTree(store.resolve("manifest.json").toFile());
        assertThat(m.get("format").asText()).isEqualTo(ActivationStore.FORMAT);
        assertThat(m.get("rows").asLong()).isEqualTo(47);
        assertThat(m.get("model").asText()).isEqualTo("minilm");
        assertThat(m.get("pool").asText()).isEqualTo("mean");
        assertThat(m.get("label_names").toString()).isEqualTo("[\"alpha\",\"beta\",\"gamma\"]");
        assertThat(m.get("provenance").get("command").asText()).isEqualTo("activations");
        List<Long> rows = new ArrayList<>();
        m.get("shards").forEach(s -> rows.add(s.get("rows").asLong()));
        assertThat(rows).containsExactly(13L, 13L, 13L, 8L);
        for (JsonNode s : m.get("shards")) { // the checksum is the file's own
            assertThat(tracelens.provenance.FileDigest.compute(store.resolve(s.get("file").asText()))).isEqualTo(s.get("sha256").asText());
        }
        try (var files = Files.list(store)) { // exactly the committed shards and the manifest: no work files
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly("manifest.json",
                    "part-00000-00000.safetensors", "part-00000-00001.safetensors", "part-00000-00002.safetensors", "part-00000-00003.safetensors");
        }
        try (ActivationFile a = ActivationFile.open(single); ActivationFile b = ActivationFile.open(store)) {
            assertThat(b.sharded()).isTrue();
            assertThat(b.layers()).isEqualTo(a.layers());
            assertThat(b.labels()).containsExactly(a.labels());
            assertThat(b.labelNames()).isEqualTo(a.labelNames());
            for (int l : a.layers()) {
                float[][] x = a.pooled(l);
                float[][] y = b.pooled(l);
                assertThat(y.length).isEqualTo(47);
                for (int i = 0; i < x.length; i++) {
                    assertThat(y[i]).as("layer %d row %d", l, i).containsExactly(x[i]);
                }
            }
            // blocks that cross shard boundaries read the same rows as the file (geometry streams this way)
            try (var m1 = tracelens.runtime.DjlRuntime.manager()) {
                float[] fromFile = a.rows("layer.6").block(m1, 5, 30).toFloatArray();
                float[] fromStore = b.rows("layer.6").block(m1, 5, 30).toFloatArray();
                assertThat(fromStore).containsExactly(fromFile);
            }
        }
    }

    @Test
    void everyReaderGivesTheSingleFilesNumbers() throws IOException {
        for (String[] args : List.of(
                new String[] {"geometry", "--max-id-points", "20", "--json", "--quiet", "--input"},
                new String[] {"ilm", "--n-pcs", "4", "--top-pc", "2", "--n-samples", "40", "--json", "--quiet", "--activations"})) {
            JsonNode x = result(args, single);
            JsonNode y = result(args, store);
            assertThat(y).as(args[0]).isEqualTo(x);
        }
        // radioactive marking reads the store's last layer and labels as it reads the file's: the same marked rows
        for (Path in : List.of(single, store)) {
            CliRun mark = CliRun.of("radioactive", "mark-embeddings", "--embeddings", in.toString(), "--fraction", "0.5", "--seed", "3",
                    "--out", dir.resolve("marked-" + in.getFileName() + ".safetensors").toString(), "--quiet");
            assertThat(mark.exitCode()).as(mark.err()).isZero();
        }
        try (var x = tracelens.model.SafeTensors.open(dir.resolve("marked-single.safetensors.safetensors"));
             var y = tracelens.model.SafeTensors.open(dir.resolve("marked-store.safetensors"))) {
            assertThat(y.floats("layer.6")).containsExactly(x.floats("layer.6"));
            assertThat(y.longs("labels")).containsExactly(x.longs("labels"));
        }
        String[] sip = {"sip", "train", "--split", "token-row", "--epochs", "2", "--layers", "3,6", "--json", "--quiet", "--cache"};
        Path cache = Files.createDirectories(dir.resolve("cache-single"));
        Files.copy(single, cache.resolve("activations.safetensors"));
        try (var w = Files.newBufferedWriter(cache.resolve("samples.jsonl"))) { // a SIP cache of the same rows, token-row split
            for (String line : Files.readAllLines(texts)) {
                ObjectNode o = (ObjectNode) JSON.readTree(line);
                w.write(o.put("document", 0).put("split", "train").toString() + "\n");
            }
        }
        assertThat(result(sip, store).get("layers")).isEqualTo(result(sip, cache).get("layers"));
        CliRun doc = CliRun.of("sip", "train", "--cache", store.toString(), "--quiet");
        assertThat(doc.exitCode()).isEqualTo(2);
        assertThat(doc.err()).contains("--split token-row");
    }

    private static JsonNode result(String[] args, Path input) throws IOException {
        List<String> a = new ArrayList<>(List.of(args));
        a.add(input.toString());
        CliRun r = CliRun.of(a.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.err()).isZero();
        ObjectNode n = (ObjectNode) JSON.readTree(r.out());
        n.remove(List.of("provenance", "input", "cache", "activations", "seconds"));
        if (n.get("selection") instanceof ObjectNode sel) {
            sel.remove("dataset"); // the input's file name
        }
        return n;
    }

    @Test
    void aStoreThatDisagreesWithItsManifestIsRefusedNamingTheShard() throws IOException {
        Path bad = copy("tampered");
        Path shard = bad.resolve("part-00000-00002.safetensors");
        byte[] bytes = Files.readAllBytes(shard);
        bytes[bytes.length - 3] ^= 1; // one bit of one value
        Files.write(shard, bytes);
        CliRun r = CliRun.of("geometry", "--input", bad.toString(), "--quiet");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("part-00000-00002.safetensors", "SHA-256");

        Path missing = copy("missing");
        Files.delete(missing.resolve("part-00000-00003.safetensors"));
        CliRun m = CliRun.of("ilm", "--activations", missing.toString(), "--n-pcs", "4", "--top-pc", "2", "--quiet");
        assertThat(m.exitCode()).isEqualTo(2);
        assertThat(m.err()).contains("part-00000-00003.safetensors", "missing");

        Path rows = copy("rows");
        String manifest = Files.readString(rows.resolve("manifest.json")).replaceFirst("\"rows\" : 47", "\"rows\" : 48");
        Files.writeString(rows.resolve("manifest.json"), manifest);
        CliRun n = CliRun.of("geometry", "--input", rows.toString(), "--quiet");
        assertThat(n.exitCode()).isEqualTo(2);
        assertThat(n.err()).contains("manifest.json", "'rows'", "47");

        // a shard of a store from another model, with the manifest's checksum fixed up to match: refused by its metadata
        Path other = dir.resolve("other");
        CliRun o = CliRun.of("activations", "--model", "src/test/resources/fixtures/tiny-qwen2", "--input", texts.toString(), "--out",
                other.toString(), "--shard-rows", "13", "--quiet");
        assertThat(o.exitCode()).as(o.err()).isZero();
        Path mixed = copy("mixed");
        Path foreign = other.resolve("part-00000-00001.safetensors");
        Files.copy(foreign, mixed.resolve("part-00000-00001.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        ObjectNode fixed = (ObjectNode) JSON.readTree(mixed.resolve("manifest.json").toFile());
        ((ObjectNode) fixed.get("shards").get(1)).put("sha256", tracelens.provenance.FileDigest.compute(foreign)).put("bytes", Files.size(foreign));
        JSON.writeValue(mixed.resolve("manifest.json").toFile(), fixed);
        CliRun x = CliRun.of("geometry", "--input", mixed.toString(), "--quiet");
        assertThat(x.exitCode()).isEqualTo(2);
        assertThat(x.err()).contains("part-00000-00001.safetensors", "'model'", "never mixed");
    }

    @Test
    void badRequestsAreExitTwoAndLeaveNothingBehind() throws IOException {
        Path none = dir.resolve("none");
        CliRun a = CliRun.of("activations", "--input", texts.toString(), "--out", none.toString(), "--shard-rows", "10", "--pool", "none");
        assertThat(a.exitCode()).isEqualTo(2);
        assertThat(a.err()).contains("--shard-rows", "pooled");
        assertThat(none).doesNotExist();
        Path userFolder = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(userFolder.resolve("notes.txt"), "keep me");
        CliRun b = CliRun.of("activations", "--input", texts.toString(), "--out", userFolder.toString(), "--shard-rows", "10");
        assertThat(b.exitCode()).isEqualTo(2);
        assertThat(b.err()).contains("not an activation store");
        assertThat(Files.readString(userFolder.resolve("notes.txt"))).isEqualTo("keep me");
        // a refused request leaves no folder and no work files
        CliRun c = CliRun.of("activations", "--input", texts.toString(), "--out", dir.resolve("zero").toString(), "--shard-rows", "0");
        assertThat(c.exitCode()).isEqualTo(2);
        assertThat(dir.resolve("zero")).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(f -> f.contains("partial")).toList()).isEmpty();
        }
        // rewriting a store replaces it whole
        Path again = copy("again");
        CliRun d = CliRun.of("activations", "--input", texts.toString(), "--out", again.toString(), "--shard-rows", "20", "--quiet");
        assertThat(d.exitCode()).as(d.err()).isZero();
        assertThat(JSON.readTree(again.resolve("manifest.json").toFile()).get("shards").size()).isEqualTo(3);
        try (var files = Files.list(again)) {
            assertThat(files.count()).isEqualTo(4);
        }
    }

    private static Path copy(String name) throws IOException {
        Path to = Files.createDirectories(dir.resolve(name));
        try (var files = Files.list(store)) {
            for (Path p : files.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
        return to;
    }
}
