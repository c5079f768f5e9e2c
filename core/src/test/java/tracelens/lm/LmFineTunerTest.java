package tracelens.lm;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.model.ModelLoader;
import tracelens.model.decoder.Decoder;
import tracelens.model.decoder.SavedDecoder;
import tracelens.nn.Hooks;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;
import tracelens.testing.SharedFiles;

/** Fine-tuning stories260K lowers the loss on its data, and a saved model reloads to the same logits, bit for bit. */
class LmFineTunerTest {
    @TempDir
    Path dir;

    static float[] logits(Decoder d, long[] ids) {
        try (NDManager m = DjlRuntime.manager()) {
            long[] pos = new long[ids.length];
            long[] mask = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                pos[i] = i;
                mask[i] = 1;
            }
            return d.forward(m, 1, ids.length, ids, pos, mask, null, Hooks.none(m), true, false).toFloatArray();
        }
    }

    @Test
    void fineTuningLowersTheLossAndTheSavedModelReloadsExactly() {
        List<String> texts = List.of("The cat sat on the red mat and sang a song about the moon.",
                "The cat sat on the red mat and sang a song about the sun.");
        Path saved = dir.resolve("tuned.safetensors");
        long[] probe;
        float[] tuned;
        try (Decoder d = (Decoder) ModelLoader.load(SharedFiles.stories260K().toString(), SharedFiles.tok512());
                NDManager m = DjlRuntime.manager()) {
            probe = d.tokenizer().encode(texts.get(0), 64).ids();
            double before;
            try (NDManager s = m.newSubManager()) {
                before = LmFineTuner.loss(s, d, List.of(probe), new int[] {0}).getFloat();
            }
            LmFineTuner.Result r = LmFineTuner.train(m, d, texts, new LmFineTuner.Options(8, 2, 5e-3, 64, 1), Progress.NONE, null);
            assertThat(r.epochs()).hasSize(8);
            double after;
            try (NDManager s = m.newSubManager()) {
                after = LmFineTuner.loss(s, d, List.of(probe), new int[] {0}).getFloat();
            }
            assertThat(after).isLessThan(before * 0.7);
            tuned = logits(d, probe);
            SavedDecoder.save(d, saved, SharedFiles.tok512(), Map.of());
        }
        try (Decoder back = (Decoder) ModelLoader.load(saved.toString(), null)) {
            assertThat(logits(back, probe)).containsExactly(tuned);
        }
    }
}
