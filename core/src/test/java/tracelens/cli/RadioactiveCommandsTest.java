package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.images.ImageFolder;
import tracelens.radioactive.Carriers;
import tracelens.testing.CliRun;

/** canvases, train-cnn --images, radioactive mark and detect --model from the command line, at toy sizes. */
class RadioactiveCommandsTest {
    @TempDir
    Path dir;

    @Test
    void markTrainAndDetect() throws Exception {
        Path train = dir.resolve("train");
        CliRun canvases = CliRun.of("canvases", "--out", train.toString(), "--count", "60", "--canvas", "40", "--seed", "1", "--json");
        assertThat(canvases.exitCode()).as(canvases.err()).isZero();
        assertThat(ImageFolder.read(train).items()).hasSize(60);
        Path held = dir.resolve("held");
        assertThat(CliRun.of("canvases", "--out", held.toString(), "--count", "30", "--canvas", "40", "--test").exitCode()).isZero();
        Path marker = dir.resolve("marker");
        CliRun trainMarker = CliRun.of("train-cnn", "--images", train.toString(), "--test-images", held.toString(), "--out",
                marker.toString(), "--width", "4", "--epochs", "1", "--batch-size", "20", "--json");
        assertThat(trainMarker.exitCode()).as(trainMarker.err()).isZero();

        Path marked = dir.resolve("marked");
        CliRun mark = CliRun.of("radioactive", "mark", "--model", marker.toString(), "--images", train.toString(), "--fraction", "0.1",
                "--seed", "3", "--iterations", "3", "--out", marked.toString(), "--json");
        assertThat(mark.exitCode()).as(mark.err()).isZero();
        JsonNode m = new ObjectMapper().readTree(mark.out());
        assertThat(m.get("marked").asInt()).isEqualTo(6);
        assertThat(m.get("psnr_min").asDouble()).isGreaterThanOrEqualTo(20 * Math.log10(255 / 10.0));
        Path key = dir.resolve("marked.key.safetensors");
        Carriers carriers = Carriers.read(key);
        assertThat(carriers.classes()).isEqualTo(10);
        assertThat(carriers.dimension()).isEqualTo(32); // ResNet-18 of width 4: 8 x 4 features
        assertThat(carriers.seed()).isEqualTo(3);
        List<String> tsv = Files.readAllLines(marked.resolve("marked.tsv"));
        assertThat(tsv).hasSize(7);
        ImageFolder published = ImageFolder.read(marked);
        assertThat(published.items()).hasSize(60);
        int differing = 0;
        List<ImageFolder.Item> original = ImageFolder.read(train).items();
        for (int i = 0; i < 60; i++) {
            differing += java.util.Arrays.equals(original.get(i).pixels(), published.items().get(i).pixels()) ? 0 : 1;
        }
        assertThat(differing).isEqualTo(6);

        // a suspect trained on the marked folder, tested with alignment through the held-out canvases
        Path suspect = dir.resolve("suspect");
        assertThat(CliRun.of("train-cnn", "--images", marked.toString(), "--test-images", held.toString(), "--out", suspect.toString(),
                "--width", "4", "--epochs", "1", "--batch-size", "20", "--seed", "2", "--quiet").exitCode()).isZero();
        // transfer learning: a fresh final layer trained on the frozen marker; everything else stays as it was
        Path transfer = dir.resolve("transfer");
        CliRun tl = CliRun.of("train-cnn", "--images", marked.toString(), "--test-images", held.toString(), "--out", transfer.toString(),
                "--init", marker.toString(), "--train-head-only", "--epochs", "1", "--batch-size", "20", "--quiet");
        assertThat(tl.exitCode()).as(tl.err()).isZero();
        try (var a = tracelens.model.SafeTensors.open(marker.resolve("model.safetensors"));
                var b = tracelens.model.SafeTensors.open(transfer.resolve("model.safetensors"))) {
            for (String name : a.tensors().keySet()) {
                if (name.startsWith("fc.")) {
                    assertThat(b.floats(name)).as(name).isNotEqualTo(a.floats(name));
                } else {
                    assertThat(b.floats(name)).as(name).containsExactly(a.floats(name));
                }
            }
        }
        Path aligned = dir.resolve("aligned.csv");
        CliRun detect = CliRun.of("radioactive", "detect", "--carriers", key.toString(), "--model", suspect.toString(), "--marker",
                marker.toString(), "--images", held.toString(), "--aligned-out", aligned.toString(), "--json");
        assertThat(detect.exitCode()).as(detect.err()).isZero();
        JsonNode d = new ObjectMapper().readTree(detect.out());
        assertThat(d.get("cosines")).hasSize(10);
        assertThat(d.get("combined_p_value").asDouble()).isBetween(0.0, 1.0);
        assertThat(Files.readAllLines(aligned)).hasSize(10);
        assertThat(Files.readAllLines(aligned).get(0).split(",")).hasSize(32);

        // bad input: a fraction out of range, an existing output, a key inside the published folder, no suspect
        CliRun zero = CliRun.of("radioactive", "mark", "--model", marker.toString(), "--images", train.toString(), "--fraction", "0",
                "--out", dir.resolve("z").toString());
        assertThat(zero.exitCode()).isEqualTo(2);
        assertThat(zero.err()).contains("--fraction");
        CliRun exists = CliRun.of("radioactive", "mark", "--model", marker.toString(), "--images", train.toString(), "--fraction", "0.1",
                "--out", marked.toString());
        assertThat(exists.exitCode()).isEqualTo(2);
        assertThat(exists.err()).contains("already exists");
        CliRun inside = CliRun.of("radioactive", "mark", "--model", marker.toString(), "--images", train.toString(), "--fraction", "0.1",
                "--out", dir.resolve("y").toString(), "--key", dir.resolve("y/key.safetensors").toString());
        assertThat(inside.exitCode()).isEqualTo(2);
        assertThat(inside.err()).contains("published");
        assertThat(dir.resolve("y")).doesNotExist();
        CliRun none = CliRun.of("radioactive", "detect", "--carriers", key.toString());
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.err()).contains("--model");
    }

    @Test
    void markEmbeddingsTrainHeadsAndDetect() throws Exception {
        // one draw of the spec's synthetic classes: 4,000 vectors to publish, 1,000 held out
        tracelens.radioactive.EmbeddingMarkingTest.Data data = tracelens.radioactive.EmbeddingMarkingTest.data(5);
        List<String> names = java.util.stream.IntStream.range(0, 10).mapToObj(String::valueOf).toList();
        Path train = dir.resolve("train.safetensors");
        new tracelens.radioactive.Embeddings(java.util.Arrays.copyOf(data.x(), 4000), java.util.Arrays.copyOf(data.y(), 4000), names,
                3, java.util.Map.of("model", "synthetic")).write(train, java.util.Map.of());
        Path held = dir.resolve("held.safetensors");
        new tracelens.radioactive.Embeddings(java.util.Arrays.copyOfRange(data.x(), 4000, 5000), java.util.Arrays.copyOfRange(data.y(), 4000, 5000),
                names, 3, java.util.Map.of()).write(held, java.util.Map.of());

        Path marked = dir.resolve("marked.safetensors");
        CliRun mark = CliRun.of("radioactive", "mark-embeddings", "--embeddings", train.toString(), "--fraction", "0.5", "--alpha", "0.3",
                "--seed", "2", "--out", marked.toString(), "--json");
        assertThat(mark.exitCode()).as(mark.err()).isZero();
        assertThat(new ObjectMapper().readTree(mark.out()).get("marked").asInt()).isEqualTo(2000);
        Path key = dir.resolve("marked.key.safetensors");
        assertThat(Carriers.read(key).dimension()).isEqualTo(64);
        // the marked file is an activation file like its input
        assertThat(tracelens.radioactive.Embeddings.read(marked, null).layer()).isEqualTo(3);

        for (String hidden : List.of("0", "32")) {
            Path head = dir.resolve("head" + hidden + ".safetensors");
            CliRun th = CliRun.of("radioactive", "train-head", "--embeddings", marked.toString(), "--test", held.toString(), "--hidden",
                    hidden, "--epochs", "5", "--lr", "1e-2", "--out", head.toString(), "--json");
            assertThat(th.exitCode()).as(th.err()).isZero();
            assertThat(new ObjectMapper().readTree(th.out()).get("test_accuracy").asDouble()).isGreaterThan(0.3); // chance is 0.1
            CliRun det = CliRun.of("radioactive", "detect", "--carriers", key.toString(), "--head", head.toString(), "--embeddings",
                    held.toString(), "--json");
            assertThat(det.exitCode()).as(det.err()).isZero();
            JsonNode d = new ObjectMapper().readTree(det.out());
            assertThat(d.get("cosines")).hasSize(10);
            if (hidden.equals("0")) {
                assertThat(d.get("log10_combined_p_value").asDouble()).isLessThan(-5);
            }
        }
        // bad input
        CliRun frac = CliRun.of("radioactive", "mark-embeddings", "--embeddings", train.toString(), "--fraction", "1.5", "--out",
                dir.resolve("x.safetensors").toString());
        assertThat(frac.exitCode()).isEqualTo(2);
        assertThat(dir.resolve("x.safetensors")).doesNotExist();
        CliRun alone = CliRun.of("radioactive", "detect", "--carriers", key.toString(), "--head", dir.resolve("head0.safetensors").toString());
        assertThat(alone.exitCode()).isEqualTo(2);
        assertThat(alone.err()).contains("--embeddings");
        Path otherKey = dir.resolve("other.safetensors");
        Carriers.random(10, 32, 1).write(otherKey, java.util.Map.of());
        CliRun dims = CliRun.of("radioactive", "detect", "--carriers", otherKey.toString(), "--head", dir.resolve("head0.safetensors").toString(),
                "--embeddings", held.toString());
        assertThat(dims.exitCode()).isEqualTo(2);
    }

    @Test
    void aClassifierEqualToItsCarriersIsReportedAsPZeroWithNoNaN() throws Exception {
        Path u = dir.resolve("u.csv");
        Files.writeString(u, "1,0,0,0\n0,1,0,0\n0,0,1,0\n");
        Path aligned = dir.resolve("aligned.csv");
        CliRun d = CliRun.of("radioactive", "detect", "--carriers", u.toString(), "--classifier", u.toString(), "--reference-features",
                u.toString(), "--suspect-features", u.toString(), "--aligned-out", aligned.toString(), "--json");
        assertThat(d.exitCode()).as(d.err()).isZero();
        JsonNode n = new ObjectMapper().readTree(d.out());
        assertThat(n.get("combined_p_value").asDouble()).isZero();
        assertThat(n.get("log10_combined_p_value").isNull()).isTrue();
        assertThat(n.get("notes").toString()).contains("exactly 1");
        assertThat(d.out()).doesNotContain("NaN").doesNotContain("Infinity");
        assertThat(Files.readAllLines(aligned)).hasSize(3);
        CliRun human = CliRun.of("radioactive", "detect", "--carriers", u.toString(), "--classifier", u.toString());
        assertThat(human.out()).contains("combined p = 0").doesNotContain("NaN");
    }
}
