package tracelens.model.decoder;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import tracelens.error.InvalidInputException;

/** Issue 15: a rotary base of 0 (or NaN) made every angle NaN and the model printed plausible nonsense with exit 0. */
class DecoderConfigTest {
    static DecoderConfig config(DecoderConfig.Positions positions, double theta, int heads) {
        return new DecoderConfig("toy", 8, 4, 1, heads, 1, 6, 8, DecoderConfig.Norm.RMS, 1e-6f, positions, 2, theta, false, false,
                DecoderConfig.Mlp.SWIGLU, false, true, 1, 2);
    }

    @Test
    void degenerateRotaryBasesAndHeadCountsAreRefused() {
        for (double theta : new double[] {0, 1, -5, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> config(DecoderConfig.Positions.ROTARY, theta, 2)).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("rope_theta");
        }
        assertThatThrownBy(() -> config(DecoderConfig.Positions.ROTARY, 10000, 0)).isInstanceOf(InvalidInputException.class);
        assertThatCode(() -> config(DecoderConfig.Positions.ROTARY, 10000, 2)).doesNotThrowAnyException();
        assertThatCode(() -> config(DecoderConfig.Positions.LEARNED, 0, 2)).doesNotThrowAnyException(); // no rotation at all
    }

    /** num_attention_heads: 0 in a config.json divided by zero (exit 1) before the configuration was checked. */
    @Test
    void zeroHeadsInAConfigFileAreBadInputNamingTheField(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path src = java.nio.file.Path.of("src/test/resources/fixtures/tiny-qwen2");
        java.nio.file.Path dst = java.nio.file.Files.createDirectories(tmp.resolve("qwen"));
        for (String f : new String[] {"model.safetensors", "tokenizer.json"}) {
            java.nio.file.Files.copy(src.resolve(f), dst.resolve(f));
        }
        String config = java.nio.file.Files.readString(src.resolve("config.json"));
        java.nio.file.Files.writeString(dst.resolve("config.json"), config.replaceAll("\"num_attention_heads\"\\s*:\\s*\\d+", "\"num_attention_heads\": 0"));
        assertThatThrownBy(() -> tracelens.model.ModelLoader.load(dst.toString(), null)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("num_attention_heads").hasMessageContaining("config.json");
    }
}
