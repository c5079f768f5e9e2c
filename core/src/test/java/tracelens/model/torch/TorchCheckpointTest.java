package tracelens.model.torch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.model.TensorStore;
import tracelens.model.TensorStores;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.runtime.DjlRuntime;

/**
 * issue 17, outcome 4: PyTorch checkpoints made by Debian's PyTorch 1.13 (fixtures/torch/make_torch_fixtures.py) read
 * with torch.load(weights_only=True)'s semantics: every dtype and view as PyTorch stores it, and hostile pickles
 * refused before anything runs.
 */
class TorchCheckpointTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures/torch");

    @TempDir
    Path dir;

    static float[] floats(TensorStore s, String name) {
        ByteBuffer b = s.float32(name);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    @Test
    void everyDtypeAndViewReadsAsPyTorchStoredIt() {
        for (String file : List.of("tensors.bin", "tensors-zip64.bin")) {
            try (TorchCheckpoint c = TorchCheckpoint.open(FIXTURES.resolve(file))) {
                assertThat(c.names()).containsExactly("f32", "f16", "bf16", "f64", "t", "view", "param", "ints");
                assertThat(c.shape("f32")).containsExactly(3, 4);
                float[] f32 = floats(c, "f32");
                for (int i = 0; i < 12; i++) {
                    assertThat(f32[i]).isEqualTo(i / 8f);
                }
                assertThat(c.dtype("f16")).isEqualTo(DType.F16);
                assertThat(floats(c, "f16")).containsExactly(-0.5f, -0.25f, 0f, 0.25f, 0.5f, 0.75f);
                assertThat(floats(c, "bf16")).containsExactly(0f, 1.5f, 3f, 4.5f);
                assertThat(floats(c, "f64")).containsExactly(0.1f, 0.2f, 0.3f);
                assertThat(c.shape("t")).as("(arange(6).reshape(2, 3) + 1).t()").containsExactly(3, 2);
                assertThat(floats(c, "t")).containsExactly(1f, 4f, 2f, 5f, 3f, 6f);
                assertThat(floats(c, "view")).as("arange(20)[5:11]").containsExactly(5f, 6f, 7f, 8f, 9f, 10f);
                assertThat(floats(c, "param")).containsExactly(7f, 7f);
                assertThatThrownBy(() -> c.float32("ints")).isInstanceOf(InvalidInputException.class)
                        .hasMessageContaining("tensors").hasMessageContaining("'ints'").hasMessageContaining("not a floating-point type");
                assertThatThrownBy(() -> c.float32("nope")).hasMessageContaining("'nope' is missing");
            }
        }
    }

    @Test
    void shardsListedInTheIndexOpenAsOneStore() {
        try (TensorStore s = TensorStores.open(FIXTURES.resolve("shards"))) {
            assertThat(floats(s, "a")).containsExactly(1f, 1f);
            assertThat(floats(s, "b")).containsExactly(2f, 2f, 2f);
            assertThat(floats(s, "c")).containsExactly(3f, 3f, 3f, 3f);
            assertThat(s.contains("d")).isFalse();
        }
    }

    @Test
    void hostilePicklesAreRefusedBeforeAnythingRuns() {
        assertThatThrownBy(() -> TorchCheckpoint.open(FIXTURES.resolve("hostile-system.bin"))).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("hostile-system.bin").hasMessageContaining("'posix.system'").hasMessageContaining("weights-only");
        assertThatThrownBy(() -> TorchCheckpoint.open(FIXTURES.resolve("hostile-eval.bin")))
                .hasMessageContaining("'__builtin__.eval'"); // protocol 2 names Python 3's builtins so
        assertThat(Path.of("tracelens-pwned")).doesNotExist();
        assertThatThrownBy(() -> TorchCheckpoint.open(FIXTURES.resolve("legacy.pt"))).hasMessageContaining("legacy.pt")
                .hasMessageContaining("not a zip-format PyTorch checkpoint");
    }

    /** Pickles built by hand: each forbidden construct is refused with the operation named. */
    @Test
    void forbiddenOperationsInAPickleAreNamed() {
        assertThat(refusal("\u0080\u0002cos\nsystem\nq\u0000X\u0002\u0000\u0000\u0000lsq\u0001\u0085q\u0002R.")).contains("'os.system'");
        assertThat(refusal("(ios\nsystem\n.")).contains("opcode 0x69 ('i')"); // INST: instantiate any class
        assertThat(refusal("\u0080\u0002ctorch._utils\n_rebuild_tensor_v2\n)R.")).contains("rebuilds a tensor from ()");
        assertThat(refusal("\u0080\u0002X\u0003\u0000\u0000\u0000abcQ.")).contains("persistent id 'abc'");
        assertThat(refusal("\u0080\u0002}q\u0000")).contains("truncated");
        assertThat(refusal("\u0080\u0002]q\u0000.")).contains("a list, not a state dict");
    }

    private static String refusal(String pickle) {
        try {
            WeightsOnlyUnpickler.stateDict(ByteBuffer.wrap(pickle.getBytes(StandardCharsets.ISO_8859_1)), "x.pkl");
        } catch (InvalidInputException e) {
            assertThat(e.getMessage()).startsWith("x.pkl: ");
            return e.getMessage();
        }
        throw new AssertionError("accepted: " + pickle);
    }

    /** A Hugging Face folder with pytorch_model.bin only runs exactly as the same weights in safetensors. */
    @Test
    void aFolderWithPytorchModelBinRunsAsItsSafetensorsTwin() throws IOException {
        Path safetensors = Path.of("src/test/resources/fixtures/tiny-qwen2");
        Path bin = Files.createDirectories(dir.resolve("qwen2-bin"));
        Files.copy(safetensors.resolve("config.json"), bin.resolve("config.json"));
        Files.copy(safetensors.resolve("tokenizer.json"), bin.resolve("tokenizer.json"));
        Files.copy(FIXTURES.resolve("tiny-qwen2.pytorch_model.bin"), bin.resolve("pytorch_model.bin"));
        try (HiddenStateModel a = ModelLoader.load(safetensors.toString()); HiddenStateModel b = ModelLoader.load(bin.toString());
             NDManager m = DjlRuntime.manager()) {
            TextTokenizer.Tokens t = a.tokenizer().encode("the cat sat on the mat", 16);
            int last = a.numLayers();
            float[] x = a.hiddenStates(m, TokenBatch.of(List.of(t), 0, true), new int[] {last}).get(last).toFloatArray();
            float[] y = b.hiddenStates(m, TokenBatch.of(List.of(t), 0, true), new int[] {last}).get(last).toFloatArray();
            assertThat(y).containsExactly(x);
        }
        assertThat(tracelens.provenance.Provenance.modelDigest(bin.toString())).as("the .bin is the weights' identity").isNotNull();
    }
}
