package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.model.SafeTensors;
import tracelens.testing.CliRun;

/** issue 17: --max-memory on a command that runs a decoder: streamed blocks give the resident numbers; too little is exit 2. */
class MaxMemoryCommandTest {
    @TempDir
    Path dir;

    @Test
    void activationsStreamedEqualResidentAndTooLittleMemoryIsRefused() throws IOException {
        Path texts = Files.write(dir.resolve("t.txt"), List.of("the cat sat on the mat", "a dog ran", "once upon a time there was a cat"));
        String model = "src/test/resources/fixtures/tiny-qwen2";
        Path resident = dir.resolve("r.safetensors");
        Path streamed = dir.resolve("s.safetensors");
        CliRun a = CliRun.of("activations", "--model", model, "--input", texts.toString(), "--layers", "all", "--out", resident.toString(), "-q");
        assertThat(a.exitCode()).as(a.err()).isZero();
        // tiny-qwen2 takes 410 KiB resident; 300k holds its embeddings, head and one block (230 KiB) but not both blocks
        CliRun b = CliRun.of("activations", "--model", model, "--input", texts.toString(), "--layers", "all", "--out", streamed.toString(),
                "--max-memory", "300k");
        assertThat(b.exitCode()).as(b.err()).isZero();
        assertThat(b.err()).contains("runs block by block", "410.3 KiB", "300.0 KiB");
        assertThat(a.err()).doesNotContain("block by block");
        try (SafeTensors x = SafeTensors.open(resident); SafeTensors y = SafeTensors.open(streamed)) {
            for (String name : x.tensors().keySet()) {
                if (name.startsWith("layer.")) {
                    assertThat(y.floats(name)).as(name).containsExactly(x.floats(name));
                }
            }
        }
        CliRun c = CliRun.of("activations", "--model", model, "--input", texts.toString(), "--out", dir.resolve("c.safetensors").toString(),
                "--max-memory", "10k");
        assertThat(c.exitCode()).isEqualTo(2);
        assertThat(c.err()).contains("--max-memory", "10.0 KiB", "block by block");
        assertThat(dir.resolve("c.safetensors")).doesNotExist();
        CliRun d = CliRun.of("activations", "--model", model, "--input", texts.toString(), "--out", dir.resolve("d.safetensors").toString(),
                "--max-memory", "lots");
        assertThat(d.exitCode()).isEqualTo(2);
        assertThat(d.err()).contains("--max-memory", "512m");
    }
}
