package tracelens.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tracelens.activations.ActivationFile;

/**
 * Issue 18, outcome 6: in local[2], gather a corpus of three sources (SST-2, CoLA and TweetEval sentences from
 * ../shared) into a store while one task fails after uploading its shards and is retried, and check the store against
 * 'tracelens activations' on the same texts (rows 1e-5, labels exact), Spark geometry against 'tracelens geometry' on
 * the store (1e-9), the MLlib probe against 'tracelens sip train's linear identifier on the same split (0.01), and bad
 * input (exit 2, naming the path, column or shard, nothing committed).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SparkEndToEndTest {
    @TempDir
    static Path dir;
    static Path corpus;
    static Path store;
    static final ObjectMapper JSON = new ObjectMapper();

    record Run(int code, String out, String err) {}

    static Run spark(String... args) {
        return run(Main.commandLine(), args);
    }

    static Run local(String... args) {
        return run(tracelens.cli.Main.commandLine(), args);
    }

    private static Run run(picocli.CommandLine cl, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @BeforeAll
    static void corpus() throws IOException {
        Path shared = Path.of(System.getProperty("tracelens.shared", "../../shared"));
        assertThat(shared.resolve("data/sst2/train.tsv")).as("../shared must sit beside the repository").isRegularFile();
        List<String> sst = Files.readAllLines(shared.resolve("data/sst2/train.tsv")).subList(1, 201);
        List<String> cola = Files.readAllLines(shared.resolve("data/cola/train.tsv")).subList(1, 201);
        List<String> tweets = Files.readAllLines(shared.resolve("data/tweeteval-offensive/train_text.txt")).stream()
                .filter(l -> !l.isBlank()).limit(200).toList();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            lines.add(JSON.createObjectNode().put("text", sst.get(i).split("\t")[1]).put("source", "sst2").toString());
            lines.add(JSON.createObjectNode().put("text", cola.get(i).split("\t")[0]).put("source", "cola").toString());
            lines.add(JSON.createObjectNode().put("text", tweets.get(i).strip()).put("source", "tweets").toString());
        }
        corpus = Files.write(dir.resolve("corpus.jsonl"), lines);
        store = dir.resolve("store");
    }

    @Test
    @Order(1)
    void gatherEqualsTheLocalCommandAndARetriedTaskNeitherDoublesNorDropsRows() throws IOException {
        System.setProperty(GatherTask.FAIL_FIRST_ATTEMPT, "1");
        Run g;
        try { // local[2,2]: two executor threads, a task may be tried twice
            g = spark("gather", "--master", "local[2,2]", "--input", corpus.toString(), "--out", store.toString(), "--partitions", "3",
                    "--shard-rows", "70", "--layers", "3,6", "--json");
        } finally {
            System.clearProperty(GatherTask.FAIL_FIRST_ATTEMPT);
        }
        assertThat(g.code()).as(g.err()).isZero();
        JsonNode r = JSON.readTree(g.out());
        assertThat(r.get("rows").asLong()).isEqualTo(600);
        assertThat(r.get("partitions").asInt()).isEqualTo(3);
        assertThat(ExecutorModels.loaded()).as("weights loaded once per executor JVM, not per partition or attempt").isEqualTo(1);
        JsonNode m = JSON.readTree(store.resolve("manifest.json").toFile());
        List<String> listed = new ArrayList<>();
        long rows = 0;
        for (JsonNode s : m.get("shards")) {
            listed.add(s.get("file").asText());
            assertThat(s.get("rows").asLong()).isBetween(1L, 70L);
            rows += s.get("rows").asLong();
        }
        assertThat(rows).isEqualTo(600);
        assertThat(listed).hasSize(r.get("shards").asInt());
        try (var files = Files.list(store)) { // exactly the committed shards: the failed attempt's copies are gone
            assertThat(files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".safetensors")).sorted().toList())
                    .isEqualTo(listed.stream().sorted().toList());
        }
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(f -> f.startsWith(".")).toList()).as("work folders").isEmpty();
        }
        assertThat(m.get("provenance").get("command").asText()).isEqualTo("spark gather");
        assertThat(m.get("label_names").toString()).isEqualTo("[\"sst2\",\"cola\",\"tweets\"]");

        Path single = dir.resolve("local.safetensors");
        Run a = local("activations", "--input", corpus.toString(), "--out", single.toString(), "--layers", "3,6", "--quiet");
        assertThat(a.code()).as(a.err()).isZero();
        try (ActivationFile x = ActivationFile.open(single); ActivationFile y = ActivationFile.open(store)) {
            assertThat(y.labels()).containsExactly(x.labels());
            for (int layer : List.of(3, 6)) {
                float[][] p = x.pooled(layer);
                float[][] q = y.pooled(layer);
                assertThat(q.length).isEqualTo(600);
                for (int i = 0; i < p.length; i++) {
                    for (int j = 0; j < p[i].length; j++) {
                        assertThat((double) q[i][j]).as("layer %d row %d col %d", layer, i, j).isCloseTo(p[i][j], within(1e-5));
                    }
                }
            }
        }
    }

    @Test
    @Order(2)
    void parquetCorporaGatherTheSameRows() throws IOException {
        Path parquet = dir.resolve("corpus.parquet"); // a folder of parts, as Spark and most tools write Parquet
        var session = org.apache.spark.sql.SparkSession.builder().master("local[1]").config("spark.ui.enabled", "false").getOrCreate();
        try {
            session.read().json(corpus.toString()).coalesce(1).write().parquet(parquet.toString());
        } finally {
            session.stop();
        }
        Path fromParquet = dir.resolve("store-parquet");
        Run g = spark("gather", "--master", "local[2]", "--input", parquet.toString(), "--out", fromParquet.toString(), "--layers", "6",
                "--shard-rows", "1000", "--quiet");
        assertThat(g.code()).as(g.err()).isZero();
        try (ActivationFile x = ActivationFile.open(store); ActivationFile y = ActivationFile.open(fromParquet)) {
            assertThat(y.labelNames()).isEqualTo(x.labelNames());
            assertThat(y.labels()).containsExactly(x.labels());
            float[][] p = x.pooled(6);
            float[][] q = y.pooled(6);
            for (int i = 0; i < p.length; i++) {
                for (int j = 0; j < p[i].length; j++) {
                    assertThat((double) q[i][j]).isCloseTo(p[i][j], within(1e-5));
                }
            }
        }
    }

    @Test
    @Order(3)
    void distributedGeometryEqualsTheLocalCommand() throws IOException {
        for (String c0 : List.of("identity", "layers")) {
            Run s = spark("geometry", "--master", "local[2]", "--store", store.toString(), "--c0", c0, "--json", "--quiet");
            assertThat(s.code()).as(s.err()).isZero();
            List<String> localArgs = new ArrayList<>(List.of("geometry", "--input", store.toString(), "--max-id-points", "0", "--json", "--quiet"));
            if (c0.equals("layers")) {
                localArgs.addAll(List.of("--c0", "layers"));
            }
            Run l = local(localArgs.toArray(String[]::new));
            assertThat(l.code()).as(l.err()).isZero();
            JsonNode x = JSON.readTree(l.out()).get("results");
            JsonNode y = JSON.readTree(s.out()).get("results");
            assertThat(y.size()).isEqualTo(2);
            for (int i = 0; i < x.size(); i++) {
                assertThat(y.get(i).get("points").asLong()).isEqualTo(600);
                for (String k : List.of("isoscore", "isoscore_star", "cosreg", "mean_cosine", "varex")) {
                    assertThat(y.get(i).get(k).asDouble()).as("%s %s (C0 %s)", x.get(i).get("tensor"), k, c0)
                            .isCloseTo(x.get(i).get(k).asDouble(), within(1e-9));
                }
            }
        }
    }

    @Test
    @Order(4)
    void mllibLinearProbeMatchesTheLocalLinearIdentifierOnTheSameSplit() throws IOException {
        Run s = spark("probe", "--master", "local[2]", "--store", store.toString(), "--mlp", "--driver-sample", "300", "--epochs", "5",
                "--json", "--quiet");
        assertThat(s.code()).as(s.err()).isZero();
        Run l = local("sip", "train", "--cache", store.toString(), "--split", "token-row", "--probe", "linear", "--layernorm", "off",
                "--epochs", "300", "--json", "--quiet");
        assertThat(l.code()).as(l.err()).isZero();
        JsonNode x = JSON.readTree(l.out()).get("layers");
        JsonNode y = JSON.readTree(s.out()).get("layers");
        for (int i = 0; i < 2; i++) {
            assertThat(y.get(i).get("test_rows").asInt()).isEqualTo(x.get(i).get("test_rows").asInt()).isEqualTo(180);
            assertThat(y.get(i).get("linear_accuracy").asDouble()).as("layer %s", y.get(i).get("layer"))
                    .isCloseTo(x.get(i).get("linear_accuracy").asDouble(), within(0.01));
            assertThat(y.get(i).get("mlp_rows").asInt()).isEqualTo(300);
            assertThat(y.get(i).get("mlp_accuracy").asDouble()).as("an MLP on 300 rows beats chance").isGreaterThan(0.6);
        }
    }

    @Test
    @Order(5)
    void badInputIsExitTwoNamingWhatIsWrongAndCommitsNothing() throws IOException {
        Run missing = spark("gather", "--master", "local[1]", "--input", dir.resolve("nope.jsonl").toString(), "--out", dir.resolve("x").toString());
        assertThat(missing.code()).isEqualTo(2);
        assertThat(missing.err()).contains("nope.jsonl", "does not exist");
        Run column = spark("gather", "--master", "local[1]", "--input", corpus.toString(), "--text-column", "body", "--out", dir.resolve("x").toString());
        assertThat(column.code()).isEqualTo(2);
        assertThat(column.err()).contains("'body'", "columns: source, text");
        Path notJson = Files.writeString(dir.resolve("broken.jsonl"), "{\"text\": \"fine\"}\nthis line is not JSON\n");
        Run broken = spark("gather", "--master", "local[1]", "--input", notJson.toString(), "--out", dir.resolve("x").toString());
        assertThat(broken.code()).as(broken.err()).isEqualTo(2);
        assertThat(broken.err()).contains("broken.jsonl", "malformed");
        Run model = spark("gather", "--master", "local[1]", "--input", corpus.toString(), "--model", dir.resolve("no-model").toString(),
                "--out", dir.resolve("x").toString());
        assertThat(model.code()).as(model.err()).isEqualTo(2);
        assertThat(model.err()).contains("no-model");
        assertThat(dir.resolve("x")).doesNotExist();
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(f -> f.startsWith(".")).toList()).as("work folders").isEmpty();
        }
        Path tampered = Files.createDirectories(dir.resolve("tampered"));
        try (var files = Files.list(store)) {
            for (Path p : files.toList()) {
                Files.copy(p, tampered.resolve(p.getFileName()));
            }
        }
        String shard = JSON.readTree(store.resolve("manifest.json").toFile()).get("shards").get(4).get("file").asText();
        byte[] bytes = Files.readAllBytes(tampered.resolve(shard));
        bytes[bytes.length - 5] ^= 4;
        Files.write(tampered.resolve(shard), bytes);
        Run geo = spark("geometry", "--master", "local[2]", "--store", tampered.toString(), "--quiet");
        assertThat(geo.code()).as(geo.err()).isEqualTo(2);
        assertThat(geo.err()).contains(shard, "SHA-256");
        Path mine = Files.createDirectories(dir.resolve("mine"));
        Files.writeString(mine.resolve("keep.txt"), "mine");
        Run over = spark("gather", "--master", "local[1]", "--input", corpus.toString(), "--out", mine.toString());
        assertThat(over.code()).isEqualTo(2);
        assertThat(over.err()).contains("not an activation store");
        assertThat(mine.resolve("keep.txt")).hasContent("mine");
    }
}
