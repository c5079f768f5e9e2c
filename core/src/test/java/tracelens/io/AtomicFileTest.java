package tracelens.io;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.model.SafeTensorsWriter;

/** Outputs get the permissions of any new file of the user (umask), not the 0600 of temporary files (issue 15). */
class AtomicFileTest {
    @TempDir
    Path dir;

    @Test
    void outputsAreCreatedWithTheUsersDefaultPermissions() throws Exception {
        Path reference = Files.createFile(dir.resolve("reference"));
        var expected = Files.getPosixFilePermissions(reference);
        Path text = dir.resolve("out.json");
        AtomicFile.writeString(text, "{}\n");
        assertThat(Files.getPosixFilePermissions(text)).isEqualTo(expected);
        Path tensors = dir.resolve("out.safetensors");
        SafeTensorsWriter.writeAll(tensors, Map.of("x", new long[] {1}), Map.of("x", new float[] {1f}), Map.of());
        assertThat(Files.getPosixFilePermissions(tensors)).isEqualTo(expected);
        try (var s = Files.list(dir)) {
            assertThat(s.filter(p -> p.getFileName().toString().endsWith(".partial"))).isEmpty();
        }
    }

    /** An output path the user cannot write (here: below a plain file) is exit 2 naming it, on one line (issue 15). */
    @Test
    void anUnwritableOutputIsTheUsersErrorNamedOnOneLine() throws Exception {
        Path file = Files.writeString(dir.resolve("plain.txt"), "x");
        Path carriers = Files.writeString(dir.resolve("u.csv"), "1,0\n0,1\n");
        Path target = file.resolve("aligned.csv");
        tracelens.testing.CliRun r = tracelens.testing.CliRun.of("radioactive", "detect", "--carriers", carriers.toString(), "--classifier",
                carriers.toString(), "--aligned-out", target.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains(target.toString()).doesNotContain("internal error");
        assertThat(r.err().strip().lines().count()).isEqualTo(1);
        // a JSON parse error's location stays on the same line
        Path bad = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\": oops}\n");
        tracelens.testing.CliRun j = tracelens.testing.CliRun.of("finetune-lm", "--model", tracelens.testing.SharedFiles.stories260K().toString(),
                "--data", bad.toString(), "--out", dir.resolve("m.safetensors").toString());
        assertThat(j.exitCode()).isEqualTo(2);
        assertThat(j.err().strip().lines().count()).isEqualTo(1);
        assertThat(j.err()).contains("bad.jsonl", "line 1");
    }
}
