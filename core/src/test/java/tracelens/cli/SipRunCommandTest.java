package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.testing.CliRun;
import tracelens.testing.SharedFiles;

/**
 * sip run on three real text sources of different style from ../shared: SST-2 movie-review phrases, CoLA linguistics
 * examples and TweetEval tweets. A frozen MiniLM's top layer should tell them apart far above chance.
 */
class SipRunCommandTest {
    @TempDir
    Path dir;

    static final ObjectMapper JSON = new ObjectMapper();

    Path corpus(int perSource) throws IOException {
        return corpus(dir, perSource);
    }

    /** A JSONL corpus of three writing styles (SST-2, CoLA, tweets), perSource texts each, in {@code dir}. */
    static Path corpus(Path dir, int perSource) throws IOException {
        Path f = dir.resolve("styles.jsonl");
        try (BufferedWriter w = Files.newBufferedWriter(f)) {
            write(w, "sst2", Files.readAllLines(SharedFiles.require("data/sst2/train.tsv")).subList(1, 1 + perSource), 1);
            write(w, "cola", Files.readAllLines(SharedFiles.require("data/cola/train.tsv")).subList(1, 1 + perSource), 0);
            write(w, "tweets", Files.readAllLines(SharedFiles.require("data/tweeteval-offensive/train_text.txt")).subList(0, perSource), -1);
        }
        return f;
    }

    private static void write(BufferedWriter w, String source, List<String> lines, int column) throws IOException {
        for (String line : lines) {
            String text = column < 0 ? line.strip() : line.split("\t")[column];
            ObjectNode n = JSON.createObjectNode().put("text", text).put("source", source);
            w.write(JSON.writeValueAsString(n));
            w.newLine();
        }
    }

    /**
     * Layers trained one at a time (1 engine thread) and side by side (2 workers, each on one engine thread) give the
     * same results and the same saved identifiers, byte for byte.
     */
    @Test
    void layersSideBySideGiveTheSameNumbersAsOneAtATime() throws IOException {
        Path c = corpus(40);
        int before = tracelens.runtime.DjlRuntime.intraOpThreads();
        java.util.Map<Integer, JsonNode> layers = new java.util.HashMap<>();
        java.util.Map<Integer, byte[]> mlp = new java.util.HashMap<>();
        try {
            for (int threads : new int[] {1, 2}) {
                tracelens.runtime.DjlRuntime.setIntraOpThreads(threads);
                Path out = dir.resolve("threads-" + threads);
                CliRun r = CliRun.of("sip", "run", "--corpus", c.toString(), "--words", "0", "--samples-per-source", "40",
                        "--layers", "1,2,5", "--epochs", "40", "--out", out.toString(), "--json", "--seed", "3");
                assertThat(r.exitCode()).as(r.err()).isZero();
                ObjectNode j = (ObjectNode) JSON.readTree(r.out());
                layers.put(threads, j.get("layers"));
                mlp.put(threads, Files.readAllBytes(out.resolve("identifiers").resolve("layer5-mlp.safetensors")));
                if (threads == 2) {
                    assertThat(r.err()).as("progress of the parallel path").contains("2 at a time");
                }
            }
        } finally {
            tracelens.runtime.DjlRuntime.setIntraOpThreads(before);
        }
        assertThat(layers.get(2)).isEqualTo(layers.get(1));
        assertThat(layers.get(1).size()).isEqualTo(3);
        assertThat(mlp.get(2)).isEqualTo(mlp.get(1));
    }

    @Test
    void identifiesWritingStylesAndWritesAReport() throws IOException {
        Path out = dir.resolve("run");
        String[] args = {"sip", "run", "--corpus", corpus(60).toString(), "--words", "0", "--samples-per-source", "60",
            "--layers", "0,6", "--epochs", "150", "--out", out.toString(), "--json", "--seed", "1", "--map", "tsne"};
        CliRun r = CliRun.of(args);
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = JSON.readTree(r.out());
        assertThat(j.get("sources")).extracting(JsonNode::asText).containsExactly("sst2", "cola", "tweets");
        assertThat(j.get("chance_accuracy").asDouble()).isEqualTo(1.0 / 3);
        assertThat(j.get("test_samples").asInt()).isEqualTo(54);
        JsonNode top = j.get("layers").get(1);
        assertThat(top.get("layer").asInt()).isEqualTo(6);
        for (String key : List.of("linear_accuracy", "mlp_accuracy", "macro_f1", "silhouette", "nearest_centroid_accuracy",
                "isoscore", "isoscore_star", "twonn", "ilm_effect")) {
            assertThat(top.get(key).isNumber()).as(key).isTrue();
        }
        // ILM with the sources as labels: 180 passages (fewer than 400, so all of them), an exact multiple of 1/180
        double ilm = top.get("ilm_effect").asDouble();
        assertThat(ilm).isBetween(0.0, 1.0);
        assertThat(Math.abs(ilm * 180 - Math.rint(ilm * 180))).isLessThan(1e-9);
        assertThat(top.get("linear_accuracy").asDouble()).as("styles are easy to tell apart").isGreaterThan(0.8);
        assertThat(top.get("top5_accuracy").isNull()).as("3 sources: top-5 always hits, so it is not reported").isTrue();
        // issue 14: a Wilson interval on 54 held-out samples around the accuracy, and chance far outside it
        double acc = top.get("linear_accuracy").asDouble();
        JsonNode ci = top.get("linear_accuracy_ci95");
        assertThat(ci.get(0).asDouble()).isLessThan(acc).isGreaterThan(acc - 0.2);
        assertThat(ci.get(1).asDouble()).isGreaterThanOrEqualTo(acc).isLessThanOrEqualTo(1.0);
        assertThat(ci.get(0).asDouble()).isEqualTo(tracelens.sip.Metrics.wilson(acc, 54)[0]);
        assertThat(top.get("linear_accuracy_within_chance").asBoolean()).isFalse();
        // issue 14: the same numbers as a tidy table
        java.util.List<String> csv = Files.readAllLines(out.resolve("results.csv"));
        assertThat(csv.get(0)).isEqualTo(tracelens.results.TidyCsv.HEADER);
        String linear6 = csv.stream().filter(l -> l.contains(",6,linear,accuracy,")).findFirst().orElseThrow();
        String[] f = linear6.split(",", -1);
        assertThat(Double.parseDouble(f[4])).isEqualTo(acc);
        assertThat(Double.parseDouble(f[5])).isEqualTo(ci.get(0).asDouble());
        assertThat(csv).anyMatch(l -> l.contains(",6,,ilm_effect,")).anyMatch(l -> l.contains(",,,chance_accuracy,"));
        // macro-F1's interval is a bootstrap over the 54 held-out samples: around the value, in the table too
        double f1 = top.get("macro_f1").asDouble();
        JsonNode f1Ci = top.get("macro_f1_ci95");
        assertThat(f1Ci.get(0).asDouble()).isLessThanOrEqualTo(f1).isGreaterThan(f1 - 0.3);
        assertThat(f1Ci.get(1).asDouble()).isGreaterThanOrEqualTo(f1).isLessThanOrEqualTo(1.0);
        String f1Row = csv.stream().filter(l -> l.contains(",6,,macro_f1,")).findFirst().orElseThrow();
        assertThat(Double.parseDouble(f1Row.split(",", -1)[5])).isEqualTo(f1Ci.get(0).asDouble());
        // issue 13: the trained identifiers are saved, and sip predict reuses one without retraining: on the held-out
        // passages it scores exactly the run's held-out accuracy
        Path saved = out.resolve("identifiers").resolve("layer6-linear.safetensors");
        assertThat(saved).exists();
        assertThat(out.resolve("identifiers").resolve("layer0-mlp.safetensors")).exists();
        StringBuilder heldOut = new StringBuilder();
        java.util.List<String> truth = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(out.resolve("samples.jsonl"))) {
            JsonNode p = JSON.readTree(line);
            if ("test".equals(p.get("split").asText())) {
                heldOut.append(JSON.writeValueAsString(java.util.Map.of("text", p.get("text").asText()))).append('\n');
                truth.add(p.get("source").asText());
            }
        }
        Path texts = Files.writeString(dir.resolve("held-out.jsonl"), heldOut);
        CliRun pr = CliRun.of("sip", "predict", "--identifier", saved.toString(), "--input", texts.toString(), "--json", "-q");
        assertThat(pr.exitCode()).as(pr.err()).isZero();
        JsonNode preds = JSON.readTree(pr.out()).get("predictions");
        int hits = 0;
        for (int i = 0; i < truth.size(); i++) {
            hits += preds.get(i).get("source").asText().equals(truth.get(i)) ? 1 : 0;
        }
        assertThat((double) hits / truth.size()).isEqualTo(acc);
        CliRun other = CliRun.of("sip", "predict", "--identifier", saved.toString(), "--input", texts.toString(), "--model",
                tracelens.testing.SharedFiles.stories260K().toString());
        assertThat(other.exitCode()).isEqualTo(2);
        assertThat(other.err()).contains("was trained on minilm").contains("another model");
        JsonNode prov = j.get("provenance");
        assertThat(prov.get("command").asText()).isEqualTo("sip run");
        assertThat(prov.get("seed").asLong()).isEqualTo(1);
        assertThat(prov.get("settings").get("epochs").asText()).isEqualTo("150");
        assertThat(prov.get("model").get("sha256").asText()).hasSize(64);
        assertThat(Files.readString(out.resolve("report.html"))).contains("sha256 " + prov.get("model").get("sha256").asText().substring(0, 12))
                .contains("up to 150 epochs");
        assertThat(top.get("linear_at_epoch_limit").asBoolean()).isEqualTo(top.get("linear_epochs").asInt() >= 150);
        assertThat(top.get("silhouette").asDouble()).isBetween(-1.0, 1.0);
        assertThat(JSON.readTree(out.resolve("results.json").toFile()).get("layers")).hasSize(2);

        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).contains("vegaEmbed('#chart0'", "Held-out accuracy by layer", "tweets", "2-D maps (t-SNE)", "Geometry of each layer", "ILM effect").doesNotContain("<script src=");
        assertThat(Files.size(out.resolve("report.html"))).isGreaterThan(800_000); // the inlined bundles

        long stamp = Files.getLastModifiedTime(out.resolve("activations.safetensors")).toMillis();
        CliRun again = CliRun.of(args);
        assertThat(again.exitCode()).isZero();
        assertThat(Files.getLastModifiedTime(out.resolve("activations.safetensors")).toMillis())
                .as("same samples, model and layers: the activations are reused").isEqualTo(stamp);
        assertThat(JSON.readTree(again.out()).get("layers")).isEqualTo(j.get("layers"));
        assertThat(JSON.readTree(out.resolve("results.json").toFile()).get("maps").get("points").size()).isGreaterThan(100);
        assertThat(j.get("maps").has("points")).as("--json leaves the map points in results.json").isFalse();
        assertThat(j.get("maps").get("points_in").asText()).endsWith("results.json");

        // two runs side by side in one report; a folder that is not a run is refused
        Path compare = dir.resolve("compare.html");
        CliRun report = CliRun.of("sip", "report", out.toString(), out.resolve("results.json").toString(), "--out", compare.toString());
        assertThat(report.exitCode()).as(report.err()).isZero();
        assertThat(Files.readString(compare)).contains("rows are runs (seed 0)", "Per layer: ");
        CliRun bad = CliRun.of("sip", "report", dir.toString(), "--out", compare.toString());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("results.json", "not found");
        // a run on another corpus is refused unless asked for, and then the page says so
        com.fasterxml.jackson.databind.node.ObjectNode otherResults = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(
                out.resolve("results.json").toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) otherResults.get("provenance").get("settings")).put("corpus", "elsewhere.jsonl");
        Path otherRun = Files.createDirectories(dir.resolve("other"));
        JSON.writeValue(otherRun.resolve("results.json").toFile(), otherResults);
        CliRun mixed = CliRun.of("sip", "report", out.toString(), otherRun.toString(), "--out", dir.resolve("mixed.html").toString());
        assertThat(mixed.exitCode()).isEqualTo(2);
        assertThat(mixed.err()).contains("corpus: ", "elsewhere.jsonl", "--allow-different-corpora");
        assertThat(dir.resolve("mixed.html")).doesNotExist();
        CliRun allowed = CliRun.of("sip", "report", out.toString(), otherRun.toString(), "--out", dir.resolve("mixed.html").toString(),
                "--allow-different-corpora", "--json");
        assertThat(allowed.exitCode()).as(allowed.err()).isZero();
        assertThat(JSON.readTree(allowed.out()).get("corpus_differences").get(0).asText()).startsWith("corpus: ");
        assertThat(Files.readString(dir.resolve("mixed.html"))).contains("Caution: these runs differ", "elsewhere.jsonl");
    }

    private String[] args(Path out) throws IOException {
        return new String[] {"sip", "run", "--corpus", corpus(30).toString(), "--words", "0", "--samples-per-source", "30",
            "--layers", "0,6", "--protocol", "original", "--optimizer", "rmsprop", "--activation", "tanh", "--hidden", "tiny",
            "--warmup-steps", "2", "--window", "original", "--max-length", "64", "--out", out.toString(), "--json", "--quiet"};
    }

    @Test
    void theOriginalProtocolRunsExactlyItsEpochsAndIsRecorded() throws IOException {
        Path out = dir.resolve("original");
        CliRun r = CliRun.of(args(out));
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = JSON.readTree(out.resolve("results.json").toFile());
        assertThat(j.get("protocol").asText()).isEqualTo("original");
        assertThat(j.get("epoch_budget").asInt()).as("the original's default budget").isEqualTo(10);
        for (JsonNode l : j.get("layers")) {
            assertThat(l.get("linear_epochs").asInt()).isEqualTo(10);
            assertThat(l.get("mlp_epochs").asInt()).isEqualTo(10);
            assertThat(l.get("linear_at_epoch_limit").asBoolean()).as("a fixed budget is not a probe stopping short").isFalse();
        }
        JsonNode settings = j.get("provenance").get("settings");
        assertThat(settings.get("protocol").asText()).isEqualTo("original");
        assertThat(settings.get("optimizer").asText()).isEqualTo("rmsprop");
        assertThat(settings.get("activation").asText()).isEqualTo("tanh");
        assertThat(settings.get("warmup_steps").asText()).isEqualTo("2");
        assertThat(settings.get("hidden").asText()).isEqualTo("[128]");
        assertThat(settings.get("window").asText()).isEqualTo("original");
        assertThat(tracelens.model.SafeTensors.headerMetadata(out.resolve("activations.safetensors")).get("provenance"))
                .as("the cache says how its texts were windowed").contains("\"window\":\"original\"");
        assertThat(tracelens.sip.SavedIdentifier.info(out.resolve("identifiers/layer6-mlp.safetensors")).activation())
                .isEqualTo(tracelens.sip.Identifier.Act.TANH);
        // issue 13: finished layers are kept as they complete; a rerun of the same settings resumes after them
        JsonNode layer0 = JSON.readTree(out.resolve("layers/layer0.json").toFile());
        ((com.fasterxml.jackson.databind.node.ObjectNode) layer0.get("result")).put("linearAccuracy", 0.123456);
        JSON.writeValue(out.resolve("layers/layer0.json").toFile(), layer0); // as if a killed run had finished layer 0 with this
        java.nio.file.Files.delete(out.resolve("layers/layer6.json"));
        java.nio.file.Files.delete(out.resolve("results.json"));
        CliRun again = CliRun.of(args(out));
        assertThat(again.exitCode()).as(again.err()).isZero();
        JsonNode k = JSON.readTree(out.resolve("results.json").toFile());
        assertThat(k.get("layers").get(0).get("linear_accuracy").asDouble()).as("layer 0 was taken over, not retrained").isEqualTo(0.123456);
        assertThat(k.get("layers").get(1).get("linear_accuracy")).as("layer 6 was retrained to the same number").isEqualTo(
                j.get("layers").get(1).get("linear_accuracy"));
        assertThat(k.get("layers").get(1).get("macro_f1_ci95")).isEqualTo(j.get("layers").get(1).get("macro_f1_ci95"));
        String[] changed = args(out);
        changed[java.util.Arrays.asList(changed).indexOf("tanh")] = "relu"; // another setting: every layer is redone
        CliRun other = CliRun.of(changed);
        assertThat(other.exitCode()).as(other.err()).isZero();
        assertThat(JSON.readTree(out.resolve("results.json").toFile()).get("layers").get(0).get("linear_accuracy").asDouble())
                .isNotEqualTo(0.123456);
        CliRun bad = CliRun.of("sip", "run", "--corpus", corpus(30).toString(), "--protocol", "theirs", "--out", dir.resolve("x").toString());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("protocol", "tracelens or original");
        CliRun badWindow = CliRun.of("sip", "run", "--corpus", corpus(30).toString(), "--window", "wide", "--out", dir.resolve("x").toString());
        assertThat(badWindow.exitCode()).isEqualTo(2);
        assertThat(badWindow.err()).contains("window", "tracelens or original");
    }

    @Test
    void badCorpora() throws IOException {
        Path one = Files.writeString(dir.resolve("one.jsonl"), "{\"text\": \"a b c\", \"source\": \"x\"}\n{\"text\": \"d e f\", \"source\": \"x\"}\n");
        CliRun r = CliRun.of("sip", "run", "--corpus", one.toString(), "--words", "0", "--out", dir.resolve("o").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("at least 2 sources");
        CliRun missing = CliRun.of("sip", "run", "--corpus", dir.resolve("nope").toString(), "--out", dir.resolve("o").toString());
        assertThat(missing.exitCode()).isEqualTo(2);
        assertThat(missing.err()).contains("no such file or folder");
        Path nosource = Files.writeString(dir.resolve("n.jsonl"), "{\"text\": \"a b c\"}\n");
        CliRun n = CliRun.of("sip", "run", "--corpus", nosource.toString(), "--out", dir.resolve("o").toString());
        assertThat(n.exitCode()).isEqualTo(2);
        assertThat(n.err()).contains("no source column");
    }
}
