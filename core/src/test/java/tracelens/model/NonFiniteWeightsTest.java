package tracelens.model;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;

/** Issue 15: a NaN in the weights ran silently (generation emitted token 0); it is now refused, naming the tensor. */
class NonFiniteWeightsTest {
    @TempDir
    Path dir;

    @Test
    void aNanWeightIsRefusedWhereItEnters() throws Exception {
        Path src = Path.of("src/test/resources/fixtures/tiny-qwen2");
        Path model = Files.createDirectories(dir.resolve("qwen"));
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(src.resolve(f), model.resolve(f));
        }
        String tensor;
        long at;
        try (SafeTensors st = SafeTensors.open(model.resolve("model.safetensors"))) {
            tensor = st.tensors().keySet().stream().filter(n -> n.endsWith("mlp.down_proj.weight")).findFirst().orElseThrow();
            long header = 8 + ByteBuffer.wrap(Files.readAllBytes(model.resolve("model.safetensors")), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            at = header + st.info(tensor).begin() + 4 * 3; // the fourth element
        }
        try (FileChannel ch = FileChannel.open(model.resolve("model.safetensors"), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, Float.NaN), at);
        }
        String name = tensor;
        assertThatThrownBy(() -> ModelLoader.load(model.toString(), null).close()).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(name).hasMessageContaining("NaN").hasMessageContaining("element 3");
    }
}
