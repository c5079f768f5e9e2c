package tracelens.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;

/** Issue 14: a hub id got "no such file or folder"; it now resolves through the local Hugging Face cache, offline. */
class HubCacheTest {
    @TempDir
    Path cache;

    @AfterEach
    void reset() {
        System.clearProperty("tracelens.hf_hub_cache");
    }

    @Test
    void aCachedHubIdLoadsFromItsSnapshotAndAMissingOneSaysHowToFetchIt() throws Exception {
        System.setProperty("tracelens.hf_hub_cache", cache.toString());
        Path repo = cache.resolve("models--tiny--qwen2");
        Path old = Files.createDirectories(repo.resolve("snapshots").resolve("aaa"));
        Path current = Files.createDirectories(repo.resolve("snapshots").resolve("bbb"));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs").resolve("main"), "bbb\n");
        Path fixture = Path.of("src/test/resources/fixtures/tiny-qwen2");
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(fixture.resolve(f), current.resolve(f));
        }
        assertThat(HubCache.resolve("tiny/qwen2")).isEqualTo(current);
        assertThat(old).isDirectory();
        try (HiddenStateModel m = ModelLoader.load("tiny/qwen2")) {
            assertThat(m.architecture()).contains("qwen2");
        }
        assertThatThrownBy(() -> ModelLoader.load("someone/missing-model")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("not in the Hugging Face cache").hasMessageContaining("runs offline")
                .hasMessageContaining("huggingface-cli download someone/missing-model");
        assertThat(HubCache.resolve("./relative/path")).isEqualTo(Path.of("./relative/path"));
    }
}
