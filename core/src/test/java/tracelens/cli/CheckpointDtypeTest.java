package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.testing.CliRun;

/** issue 17, bad input: a checkpoint whose dtype tracelens cannot compute (integer or FP8 weights) is exit 2, naming it. */
class CheckpointDtypeTest {
    @TempDir
    Path dir;

    static final ObjectMapper JSON = new ObjectMapper();

    /** tiny-qwen2 with one tensor's header entry rewritten to {@code dtype} and {@code shape} (same byte size). */
    Path withDtype(String name, String dtype, int[] shape) throws IOException {
        Path src = Path.of("src/test/resources/fixtures/tiny-qwen2");
        Path out = Files.createDirectories(dir.resolve(dtype));
        for (String f : List.of("config.json", "tokenizer.json")) {
            Files.copy(src.resolve(f), out.resolve(f));
        }
        byte[] all = Files.readAllBytes(src.resolve("model.safetensors"));
        long n = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(all, 8, (int) n, StandardCharsets.UTF_8));
        ObjectNode t = (ObjectNode) header.get(name);
        t.put("dtype", dtype);
        var s = t.putArray("shape");
        Arrays.stream(shape).forEach(s::add);
        byte[] h = JSON.writeValueAsBytes(header);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + all.length - 8 - (int) n).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) {
            b.put((byte) ' ');
        }
        b.put(all, 8 + (int) n, all.length - 8 - (int) n);
        Files.write(out.resolve("model.safetensors"), b.array());
        return out;
    }

    @Test
    void integerAndFp8WeightsAreRefusedNamingTheTensor() throws IOException {
        Path texts = Files.write(dir.resolve("t.txt"), List.of("the cat sat"));
        Path ints = withDtype("model.norm.weight", "I32", new int[] {64});
        CliRun a = CliRun.of("activations", "--model", ints.toString(), "--input", texts.toString(), "--out", dir.resolve("a.safetensors").toString());
        assertThat(a.exitCode()).as(a.err()).isEqualTo(2);
        assertThat(a.err()).contains("model.norm.weight", "I32", "not a floating-point type");
        Path fp8 = withDtype("model.norm.weight", "F8_E4M3", new int[] {256});
        CliRun b = CliRun.of("activations", "--model", fp8.toString(), "--input", texts.toString(), "--out", dir.resolve("b.safetensors").toString());
        assertThat(b.exitCode()).as(b.err()).isEqualTo(2);
        assertThat(b.err()).contains("model.safetensors", "unknown dtype 'F8_E4M3'");
        assertThat(dir.resolve("a.safetensors")).doesNotExist();
        assertThat(dir.resolve("b.safetensors")).doesNotExist();
    }
}
