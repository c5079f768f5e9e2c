package tracelens.activations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.corpus.TextColumns;
import tracelens.corpus.TextInput;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.model.SafeTensors;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;
import tracelens.testing.SharedFiles;

/** issue 13: the SIP code's input window (sip.md §2): first T words, no special tokens, <= T-1 tokens, left-padded to T. */
class WindowTest {
    @TempDir
    Path dir;

    @Test
    void firstWordsKeepsTheFirstNWhitespaceWords() {
        assertThat(Window.firstWords("  a b\tc\n d e ", 3)).isEqualTo("a b c");
        assertThat(Window.firstWords("a b", 5)).isEqualTo("a b");
    }

    @Test
    void onlyMoreWordsThanTheWindowCountAsTruncation() {
        try (var m = tracelens.model.ModelLoader.load("minilm")) {
            assertThat(Window.ORIGINAL.encode(m.tokenizer(), "the  cat\tsat", 8).truncated()).as("extra spaces cut nothing").isFalse();
            assertThat(Window.ORIGINAL.encode(m.tokenizer(), "one two three four five six seven eight nine", 8).truncated()).isTrue();
        }
    }

    @Test
    void aWindowBatchIsLeftPaddedToExactlyTWithPositionsOverThePadding() {
        List<TextTokenizer.Tokens> rows = List.of(TextTokenizer.Tokens.of(new long[] {5, 6, 7}), TextTokenizer.Tokens.of(new long[] {8}));
        TokenBatch b = TokenBatch.window(rows, 0, 5);
        assertThat(b.width()).isEqualTo(5);
        assertThat(b.ids()).containsExactly(0, 0, 5, 6, 7, 0, 0, 0, 0, 8);
        assertThat(b.mask()).containsExactly(0, 0, 1, 1, 1, 0, 0, 0, 0, 1);
        assertThat(b.padLeft()).isTrue();
        assertThat(b.positionsOverPadding()).isTrue();
        assertThat(TokenBatch.of(rows, 0, true).positionsOverPadding()).isFalse();
    }

    /**
     * On the TinyStories Llama (rotary positions, so attention is relative): the stored states of the real tokens under
     * the original window equal a forward pass over the same tokens alone, from position 0 (the spec: "real-token states
     * are unaffected apart from rounding"), and the ids are the plain tokens of the first T words, without BOS, cut to
     * T - 1.
     */
    @Test
    void originalWindowOnADecoderMatchesTheTokensAlone() throws IOException {
        Path input = Files.write(dir.resolve("t.txt"), List.of("Once upon a time there was a little girl named Lily who loved to play",
                "The cat sat.", "Tom and his dog ran to the park and they played with a big red ball all day long"));
        int t = 12;
        try (HiddenStateModel m = ModelLoader.load(SharedFiles.require("models/stories260K/stories260K.bin").toString())) {
            Path out = dir.resolve("a.safetensors");
            ActivationExtractor.extract(m, TextInput.of(input, TextColumns.DEFAULT),
                    new ActivationExtractor.Options(new int[] {3, 5}, Pooling.NONE, t, 2, DType.F32).withWindow(Window.ORIGINAL), out,
                    Map.of(), Progress.NONE);
            List<String> texts = Files.readAllLines(input);
            try (SafeTensors st = SafeTensors.open(out); NDManager mgr = DjlRuntime.manager()) {
                long[] shape = st.info("layer.5").shape();
                int width = (int) shape[1];
                int c = (int) shape[2];
                assertThat(width).as("at most T - 1 tokens").isLessThanOrEqualTo(t - 1);
                float[] h = st.floats("layer.5");
                long[] ids = new long[(int) (shape[0] * width)];
                st.raw("input_ids").order(java.nio.ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(ids);
                for (int i = 0; i < texts.size(); i++) {
                    TextTokenizer.Tokens plain = m.tokenizer().encodePlain(Window.firstWords(texts.get(i), t), t - 1);
                    assertThat(plain.ids()[0]).as("no BOS").isNotEqualTo(1L);
                    long[] stored = Arrays.copyOfRange(ids, i * width, i * width + plain.length());
                    assertThat(stored).as("text %d", i).containsExactly(plain.ids());
                    float[] alone = m.hiddenStates(mgr, TokenBatch.of(List.of(plain), 0, true), new int[] {5}).get(5).toFloatArray();
                    for (int j = 0; j < plain.length() * c; j++) {
                        assertThat(h[i * width * c + j]).as("text %d value %d", i, j).isCloseTo(alone[j], within(2e-4f));
                    }
                }
                assertThat(st.metadata().get("provenance")).contains("\"window\":\"original\"");
            }
        }
    }

    @Test
    void positionsMatterForAnEncoderWithLearnedPositions() throws IOException {
        // MiniLM embeds absolute positions: the original window (left pads, positions over them) changes the states,
        // while dropping [CLS]/[SEP] is visible in the ids
        try (HiddenStateModel m = ModelLoader.load("minilm"); NDManager mgr = DjlRuntime.manager()) {
            TextTokenizer.Tokens plain = Window.ORIGINAL.encode(m.tokenizer(), "the cat sat on the mat", 16);
            TextTokenizer.Tokens usual = Window.TRACELENS.encode(m.tokenizer(), "the cat sat on the mat", 16);
            assertThat(usual.length()).isEqualTo(plain.length() + 2);
            assertThat(Arrays.copyOfRange(usual.ids(), 1, usual.length() - 1)).containsExactly(plain.ids());
            float[] padded = m.hiddenStates(mgr, Window.ORIGINAL.batch(List.of(plain), m, 16), new int[] {1}).get(1).toFloatArray();
            float[] alone = m.hiddenStates(mgr, TokenBatch.of(List.of(plain), 0, false), new int[] {1}).get(1).toFloatArray();
            int c = m.hiddenSize();
            assertThat(padded.length).isEqualTo(16 * c);
            double diff = 0;
            for (int j = 0; j < plain.length() * c; j++) {
                diff = Math.max(diff, Math.abs(padded[(16 - plain.length()) * c + j] - alone[j]));
            }
            assertThat(diff).as("absolute positions shifted by the padding").isGreaterThan(1e-2);
        }
    }
}
