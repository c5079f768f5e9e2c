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
                for (String name : a.keySet()) {
                    assertThat(b.get(name).toFloatArray()).as(name).containsExactly(a.get(name).toFloatArray());
                }
                assertThat(back.config()).isEqualTo(bert.config());
            }
        }
    }
}
