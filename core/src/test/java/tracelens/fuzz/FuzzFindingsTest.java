package tracelens.fuzz;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Inputs the long fuzz run (scripts/fuzz.sh) found, kept as regressions: each failed Outcome.check before its fix. */
class FuzzFindingsTest {
    @Test
    void aConfigWhoseWidthTheHeadsDoNotDivideNamesTheFile() throws Exception {
        String cfg = new String(Seeds.read(java.nio.file.Path.of("src/test/resources/fixtures/tiny-qwen2/config.json")),
                StandardCharsets.UTF_8).replaceFirst("\"hidden_size\": *\\d+", "\"hidden_size\": 65");
        int before = refused("config.json");
        new TextFormatsFuzzTest().configJson(cfg.getBytes(StandardCharsets.UTF_8));
        org.assertj.core.api.Assertions.assertThat(refused("config.json")).as("refused as bad input").isEqualTo(before + 1);
    }

    @Test
    void aShardNameWithANulIsBadInput() throws Exception {
        int before = refused("model.safetensors.index.json");
        new StoresAndImagesFuzzTest().shardIndex(("{\"weight_map\": {\"a.weight\": \"\u0000model-a.safetensors\","
                + " \"b.weight\": \"model-b.safetensors\"}}").getBytes(StandardCharsets.UTF_8));
        org.assertj.core.api.Assertions.assertThat(refused("model.safetensors.index.json")).isEqualTo(before + 1);
    }

    @Test
    void labelNamesThatAreJsonNullAreBadInput() throws Exception {
        byte[] seed = Seeds.pooledActivations();
        String text = new String(seed, java.nio.charset.StandardCharsets.ISO_8859_1).replace("[\\\"a\\\",\\\"b\\\"]", "null         "); // same length: 13 characters
        org.assertj.core.api.Assertions.assertThat(text).contains("\"label_names\":\"null         \"");
        int before = refused("fuzz-acts.safetensors");
        new BinaryFormatsFuzzTest().activationCaches(text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        org.assertj.core.api.Assertions.assertThat(refused("fuzz-acts.safetensors")).isEqualTo(before + 1);
    }

    private static int refused(String file) {
        return Outcome.TALLY.getOrDefault(file, new int[2])[1];
    }
}
