package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.cnn.MnistCanvas;
import tracelens.model.SafeTensors;
import tracelens.runtime.DjlRuntime;
import tracelens.testing.CliRun;

/** train-cnn, parchgrad evaluate and saliency from the command line, at toy sizes. */
class SaliencyCommandsTest {
    @TempDir
    Path dir;

    @Test
    void trainEvaluateAndDrawMaps() throws Exception {
        Path model = dir.resolve("cnn");
        CliRun train = CliRun.of("train-cnn", "--out", model.toString(), "--width", "4", "--canvas", "40", "--train", "40",
                "--validation", "20", "--test", "20", "--epochs", "1", "--batch-size", "20", "--json");
        assertThat(train.exitCode()).as(train.err()).isZero();
        JsonNode t = new ObjectMapper().readTree(train.out());
        assertThat(t.get("history")).hasSize(1);
        assertThat(t.get("test_accuracy").asDouble()).isBetween(0.0, 1.0);
        assertThat(model.resolve("model.safetensors")).exists();

        CliRun eval = CliRun.of("parchgrad", "evaluate", "--model", model.toString(), "--canvas", "40", "--images", "3",
                "--methods", "grad", "--variants", "none,ins,cls", "--stats-images", "30", "--json", "--out", dir.resolve("eval.json").toString());
        assertThat(eval.exitCode()).as(eval.err()).isZero();
        JsonNode e = new ObjectMapper().readTree(eval.out());
        List<String> tidy = Files.readAllLines(dir.resolve("eval.csv")); // issue 14: the tidy table beside --out
        for (String key : List.of("grad/none", "grad/ins", "grad/cls")) {
            JsonNode s = e.get("summary").get(key);
            assertThat(s.get("valid_images").asInt()).as(key).isEqualTo(3);
            assertThat(s.get("mu_in").asDouble()).as(key).isBetween(0.0, 1.0);
            assertThat(tidy).anyMatch(l -> l.endsWith(",," + key + ",mu_in," + s.get("mu_in").asDouble() + ",,"));
        }
        assertThat(e.get("hooked")).hasSize(8);
        assertThat(model.resolve("channel-statistics.safetensors")).exists();

        // maps for PNG canvases through the saliency command
        Path images = Files.createDirectories(dir.resolve("images"));
        List<MnistCanvas.Image> canvases = MnistCanvas.load(DjlRuntime.cacheRoot()).images(2, 40, true, 5);
        for (int i = 0; i < canvases.size(); i++) {
            BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
            float[] px = canvases.get(i).pixels();
            for (int p = 0; p < px.length; p++) {
                int g = Math.round(px[p] * 255);
                img.setRGB(p % 40, p / 40, g << 16 | g << 8 | g);
            }
            ImageIO.write(img, "png", images.resolve("digit" + i + ".png").toFile());
        }
        Path out = dir.resolve("maps");
        CliRun maps = CliRun.of("saliency", "--model", model.toString(), "--images", images.toString(), "--input-size", "40",
                "--normalize", "canvas", "--method", "grad,ig", "--parchgrad", "ins", "--stats",
                model.resolve("channel-statistics.safetensors").toString(), "--out", out.toString());
        assertThat(maps.exitCode()).as(maps.err()).isZero();
        try (SafeTensors st = SafeTensors.open(out.resolve("maps.safetensors"))) {
            assertThat(st.info("maps").shape()).containsExactly(2, 40, 40);
            assertThat(st.info("maps.ig").shape()).containsExactly(2, 40, 40);
            assertThat(st.info("logits").shape()).containsExactly(2, 10);
            assertThat(st.metadata().get("images")).contains("digit0.png", "digit1.png");
        }
        assertThat(out.resolve("digit0.grad.png")).exists();
        assertThat(Files.readString(out.resolve("index.html"))).contains("data:image/png;base64", "digit1.png");

        // bad input: a broken image, a ratio out of range, statistics of another model
        Path bad = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(bad.resolve("broken.png"), "not a png");
        CliRun broken = CliRun.of("saliency", "--model", model.toString(), "--images", bad.toString(), "--input-size", "40", "--out",
                dir.resolve("x").toString());
        assertThat(broken.exitCode()).isEqualTo(2);
        assertThat(broken.err()).contains("broken.png");
        assertThat(dir.resolve("x")).doesNotExist();
        assertThat(CliRun.of("saliency", "--model", model.toString(), "--images", images.toString(), "--input-size", "40",
                "--layer-ratio", "1.5", "--out", dir.resolve("y").toString()).err()).contains("--layer-ratio must be in (0, 1]");
        CliRun foreign = CliRun.of("saliency", "--model", "src/test/resources/fixtures/cnn/resnet18.safetensors", "--images",
                images.toString(), "--input-size", "40", "--parchgrad", "cls", "--stats",
                model.resolve("channel-statistics.safetensors").toString(), "--out", dir.resolve("z").toString());
        assertThat(foreign.exitCode()).isEqualTo(2);
        assertThat(foreign.err()).contains("gathered for another model");
    }
}
