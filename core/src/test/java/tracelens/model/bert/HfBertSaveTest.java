package tracelens.model.bert;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.model.ModelLoader;

/** A saved encoder reloads with every parameter bit for bit, also ones changed in place as fine-tuning changes them. */
class HfBertSaveTest {
    @TempDir
    Path dir;

    @Test
    void savedFolderReloadsBitForBit() throws Exception {
        try (Bert bert = (Bert) ModelLoader.load("minilm")) {
            NDArray q = bert.parameters().asMap().get("encoder.layer.2.attention.self.query.weight");
            q.addi(0.125f); // as a training step would
            HfBertFolder.save(bert, HfBertFolder.tokenizerJson("minilm"), dir.resolve("saved"), Map.of());
            try (Bert back = (Bert) ModelLoader.load(dir.resolve("saved").toString())) {
                Map<String, NDArray> a = bert.parameters().asMap();
                Map<String, NDArray> b = back.parameters().asMap();
                assertThat(b.keySet()).isEqualTo(a.keySet());
                java.util.List<String> differ = new java.util.ArrayList<>();
                for (String name : a.keySet()) { // Arrays.equals: AssertJ's diff of an 11M-float array is quadratic
                    if (!java.util.Arrays.equals(b.get(name).toFloatArray(), a.get(name).toFloatArray())) {
                        differ.add(name + " " + a.get(name).getShape() + " vs " + b.get(name).getShape());
                    }
                }
                assertThat(differ).as("parameters that differ after the round trip").isEmpty();
                assertThat(back.config()).isEqualTo(bert.config());
            }
        }
    }
}
