package tracelens.activations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;
import tracelens.model.SafeTensorsWriter;
import tracelens.radioactive.Embeddings;
import tracelens.testing.CliRun;

/** Issue 15: indices read from activation files are checked, and --out is checked before any work. */
class ActivationFileChecksTest {
    @TempDir
    Path dir;

    @Test
    void labelsOutsideTheNamesAndHugeLayerIndicesAreBadInput() {
        float[][] x = {{1, 2}, {3, 4}};
        for (int bad : new int[] {99, -1}) {
            Path f = dir.resolve("labels" + (bad + 1) + ".safetensors");
            new Embeddings(x, new int[] {0, bad}, List.of("a", "b"), 1, Map.of()).write(f, Map.of());
            try (ActivationFile a = ActivationFile.open(f)) {
                assertThatThrownBy(a::labels).isInstanceOf(InvalidInputException.class)
                        .hasMessageContaining("label " + bad).hasMessageContaining("row 1");
            }
        }
        Path nan = dir.resolve("nan.safetensors");
        new Embeddings(new float[][] {{1, Float.NaN}, {3, 4}}, new int[] {0, 1}, List.of("a", "b"), 1, Map.of()).write(nan, Map.of());
        assertThatThrownBy(() -> Embeddings.read(nan, null)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("layer.1").hasMessageContaining("NaN");
        for (int at : new int[] {0, 4095, 4096, 9999}) { // checked in blocks of 4,096: each side of a boundary, and the tail
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                float[][] big = new float[100][100];
                big[at / 100][at % 100] = bad;
                Path f = dir.resolve("bad" + at + ".safetensors");
                new Embeddings(big, new int[100], List.of("a"), 1, Map.of()).write(f, Map.of());
                try (ActivationFile a = ActivationFile.open(f)) {
                    assertThatThrownBy(() -> a.pooled(1)).isInstanceOf(InvalidInputException.class)
                            .hasMessageContaining("layer.1").hasMessageContaining("at element " + at + ";");
                }
            }
        }
        Path huge = dir.resolve("huge.safetensors");
        SafeTensorsWriter.writeAll(huge, Map.of("layer.99999999999", new long[] {2, 2}), Map.of("layer.99999999999", new float[4]),
                Map.of("format", "tracelens.activations/1"));
        try (ActivationFile a = ActivationFile.open(huge)) {
            assertThatThrownBy(a::layers).isInstanceOf(InvalidInputException.class).hasMessageContaining("layer.99999999999");
        }
    }

    @Test
    void anOutputThatIsAFolderIsRefusedBeforeTheModelRuns() throws Exception {
        Path texts = Files.writeString(dir.resolve("t.txt"), "one\ntwo\n");
        Path folder = Files.createDirectories(dir.resolve("out.safetensors"));
        CliRun r = CliRun.of("activations", "--input", texts.toString(), "--out", folder.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("is a folder").doesNotContain("extracting");
    }

    @Test
    void everyCommandChecksItsOutputPathBeforeWorking() throws Exception {
        Path texts = Files.writeString(dir.resolve("t.txt"), "one\ntwo\n");
        Path file = Files.writeString(dir.resolve("taken"), "x");
        CliRun r = CliRun.of("sip", "run", "--corpus", texts.toString(), "--out", file.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains(file.toString()).contains("is a file; --out names an output folder");
        Path folder = Files.createDirectories(dir.resolve("gen.jsonl"));
        CliRun g = CliRun.of("generate", "--model", tracelens.testing.SharedFiles.stories260K().toString(), "--out", folder.toString());
        assertThat(g.exitCode()).isEqualTo(2);
        assertThat(g.err()).contains("is a folder; --out names the output file");
        CliRun under = CliRun.of("sip", "train", "--cache", dir.toString(), "--out", file.resolve("x.json").toString());
        assertThat(under.exitCode()).isEqualTo(2);
        assertThat(under.err()).contains(file.toString()).contains("is not a folder");
    }

    /** Issue 14: integer labels 1,0,1 were renumbered by first appearance to 0,1,0. */
    @Test
    void integerLabelsKeepTheirValues() throws Exception {
        Path in = Files.writeString(dir.resolve("l.jsonl"), "{\"text\": \"a b\", \"label\": 1}\n{\"text\": \"c\", \"label\": 0}\n"
                + "{\"text\": \"d e\", \"label\": 10}\n{\"text\": \"f\", \"label\": 2}\n");
        Path out = dir.resolve("l.safetensors");
        CliRun r = CliRun.of("activations", "--input", in.toString(), "--out", out.toString(), "--layers", "0", "--source-column", "label");
        assertThat(r.exitCode()).as(r.err()).isZero();
        try (ActivationFile f = ActivationFile.open(out)) {
            assertThat(f.labelNames()).containsExactly("0", "1", "2", "10");
            assertThat(f.labels()).containsExactly(1, 0, 3, 2);
        }
        Path mixed = Files.writeString(dir.resolve("m.jsonl"), "{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\", \"label\": \"one\"}\n");
        CliRun m = CliRun.of("activations", "--input", mixed.toString(), "--out", dir.resolve("m.safetensors").toString(), "--layers", "0",
                "--source-column", "label");
        assertThat(m.err()).contains("mixes numbers and names");
    }
}
