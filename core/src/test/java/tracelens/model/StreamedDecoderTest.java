package tracelens.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.SortedMap;
import org.junit.jupiter.api.Test;
import tracelens.error.InvalidInputException;
import tracelens.lm.Generator;
import tracelens.lm.Sampler;
import tracelens.model.decoder.Decoder;
import tracelens.model.decoder.DecoderBlock;
import tracelens.runtime.DjlRuntime;
import tracelens.testing.SharedFiles;

/**
 * issue 17, outcome 1: a decoder forced to stream its blocks (each block's weights read from the memory-mapped
 * checkpoint while it runs) gives the resident path's hidden states, logits and generations.
 */
class StreamedDecoderTest {
    @Test
    void budgetsParseAndDecide() {
        assertThat(MemoryBudget.parse("512m").bytes()).isEqualTo(512L << 20);
        assertThat(MemoryBudget.parse("1.5g").bytes()).isEqualTo(3L << 29);
        assertThat(MemoryBudget.parse("2048").bytes()).isEqualTo(2048);
        assertThat(MemoryBudget.parse("16G").bytes()).isEqualTo(16L << 30);
        assertThat(MemoryBudget.parse("auto")).isEqualTo(MemoryBudget.AUTO);
        assertThat(MemoryBudget.AUTO.limit()).isPositive();
        assertThatThrownBy(() -> MemoryBudget.parse("12x")).hasMessageContaining("max_memory");
        assertThatThrownBy(() -> MemoryBudget.parse("-1g")).hasMessageContaining("max_memory");
        MemoryBudget b = new MemoryBudget(1000L);
        assertThat(b.choose("m", 1000, 10)).isEqualTo(MemoryBudget.Residency.RESIDENT);
        assertThat(b.choose("m", 1001, 1000)).isEqualTo(MemoryBudget.Residency.STREAMED);
        assertThatThrownBy(() -> b.choose("m", 5000, 1001)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("below what m needs even block by block");
    }

    @Test
    void streamedEqualsResidentOnEveryFamily() {
        for (String model : List.of("src/test/resources/fixtures/tiny-qwen2", "src/test/resources/fixtures/tiny-neox",
                "src/test/resources/fixtures/tiny-gpt2", SharedFiles.require("models/stories260K/stories260K.bin").toString())) {
            try (Decoder resident = (Decoder) ModelLoader.load(model, null, MemoryBudget.AUTO)) {
                var config = resident.config();
                long streamedBytes = 4 * (Decoder.residentParameterCount(config) + DecoderBlock.parameterCount(config));
                assertThat(resident.streamed()).isFalse();
                assertThat(resident.parameterCount()).as(model).isEqualTo(resident.parameters().count(false));
                try (Decoder streamed = (Decoder) ModelLoader.load(model, null, new MemoryBudget(streamedBytes));
                     NDManager m = DjlRuntime.manager()) {
                    assertThat(streamed.streamed()).as(model + " forced to stream").isTrue();
                    assertThat(streamed.parameterCount()).isEqualTo(resident.parameterCount());
                    var tokens = List.of(resident.tokenizer().encode("the cat sat on the mat and the dog ran", 32),
                            resident.tokenizer().encode("once upon a time", 32));
                    TokenBatch batch = TokenBatch.of(tokens, resident.tokenizer().padId(), true);
                    int[] all = new int[config.numLayers() + 1];
                    java.util.Arrays.setAll(all, i -> i);
                    SortedMap<Integer, ai.djl.ndarray.NDArray> a = resident.hiddenStates(m, batch, all);
                    SortedMap<Integer, ai.djl.ndarray.NDArray> s = streamed.hiddenStates(m, batch, all);
                    for (int l : all) {
                        float[] x = a.get(l).toFloatArray();
                        float[] y = s.get(l).toFloatArray();
                        for (int i = 0; i < x.length; i++) {
                            assertThat(y[i]).as("%s layer %d value %d", model, l, i).isCloseTo(x[i], within(1e-5f));
                        }
                    }
                    // generation with the key/value cache: the same greedy tokens
                    var g1 = Generator.generate(resident, "once upon", 8, new Sampler(0, 0, 1), true, null);
                    var g2 = Generator.generate(streamed, "once upon", 8, new Sampler(0, 0, 1), true, null);
                    assertThat(g2.text()).isEqualTo(g1.text());
                }
                assertThatThrownBy(() -> ModelLoader.load(model, null, new MemoryBudget(streamedBytes - 1)))
                        .isInstanceOf(InvalidInputException.class).hasMessageContaining("block by block");
            }
        }
    }
}
