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
}
