package tracelens.model.decoder;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tracelens.model.ModelLoader;
import tracelens.model.SafeTensors;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.runtime.DjlRuntime;

/**
 * Tiny random GPT-2, GPT-NeoX (partial rotary, parallel residual) and Qwen2 (biases, GQA, rope_theta 1e6)
 * checkpoints in Hugging Face layout, against reference hidden states and logits from PyTorch
 * (src/test/resources/fixtures/make_decoder_fixtures.py, a transcription of the transformers modeling code).
 */
class DecoderFixtureTest {
    static final double TOLERANCE = 1e-4;

    static Path fixture(String name) throws URISyntaxException {
        return Path.of(DecoderFixtureTest.class.getResource("/fixtures/" + name).toURI());
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-gpt2", "tiny-neox", "tiny-qwen2"})
    void hiddenStatesAndLogitsMatchThePyTorchReference(String name) throws Exception {
        Path dir = fixture(name);
        try (Decoder model = (Decoder) ModelLoader.load(dir.toString()); SafeTensors ref = SafeTensors.open(dir.resolve("reference.safetensors"));
             NDManager scope = DjlRuntime.manager()) {
            int layers = model.numLayers();
            int[] all = java.util.stream.IntStream.rangeClosed(0, layers).toArray();
            long[] a = ref.longs("a.ids");
            long[] b = ref.longs("b.ids");
            int c = model.hiddenSize();

            // each sequence alone, with logits
            for (String seq : List.of("a", "b")) {
                long[] ids = ref.longs(seq + ".ids");
                long[] pos = new long[ids.length];
                long[] mask = new long[ids.length];
                for (int i = 0; i < ids.length; i++) {
                    pos[i] = i;
                    mask[i] = 1;
                }
                tracelens.nn.Hooks hooks = new tracelens.nn.Hooks(scope);
                for (int l : all) {
                    hooks.record(model.hiddenStateSite(l));
                }
                NDArray logits = model.forward(scope, 1, ids.length, ids, pos, mask, null, hooks, true, false);
                for (int l : all) {
                    assertClose(hooks.recorded(model.hiddenStateSite(l)).toFloatArray(), ref.floats(seq + ".hidden." + l),
                            name + " " + seq + " layer " + l);
                }
                assertClose(logits.toFloatArray(), ref.floats(seq + ".logits"), name + " " + seq + " logits");
            }

            // both in one left-padded batch: real tokens unchanged
            TokenBatch batch = TokenBatch.of(List.of(TextTokenizer.Tokens.of(a), TextTokenizer.Tokens.of(b)), 0, true);
            SortedMap<Integer, NDArray> together = model.hiddenStates(scope, batch, all);
            int w = batch.width();
            for (int l : all) {
                float[] h = together.get(l).toFloatArray();
                assertClose(Arrays.copyOfRange(h, 0, w * c), ref.floats("a.hidden." + l), name + " batched a layer " + l);
                assertClose(Arrays.copyOfRange(h, (w + w - b.length) * c, 2 * w * c), ref.floats("b.hidden." + l),
                        name + " batched (left-padded) b layer " + l);
            }

            // token by token through the KV cache
            float[] expected = ref.floats("a.logits");
            int v = model.config().vocabSize();
            try (KvCache cache = new KvCache(scope, layers)) {
                for (int t = 0; t < a.length; t++) {
                    float[] step = model.forward(scope, 1, 1, new long[] {a[t]}, new long[] {t}, new long[] {1}, cache,
                            tracelens.nn.Hooks.none(scope), true, true).toFloatArray();
                    assertClose(step, Arrays.copyOfRange(expected, t * v, (t + 1) * v), name + " cached step " + t);
                }
            }
        }
    }

    static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).as(what + " size").hasSameSizeAs(expected);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < actual.length; i++) {
            double d = Math.abs(actual[i] - expected[i]);
            if (d > worst) {
                worst = d;
                at = i;
            }
        }
        assertThat(worst).as("%s: max |diff| at %d", what, at).isLessThan(TOLERANCE);
    }
}
