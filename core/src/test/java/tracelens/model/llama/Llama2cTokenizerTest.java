package tracelens.model.llama;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tracelens.testing.SharedFiles;

/** tok512.bin, the stories260K tokenizer, encoded as llama2.c's run.c encodes prompts. */
class Llama2cTokenizerTest {
    static Llama2cTokenizer tok;

    @BeforeAll
    static void load() {
        tok = Llama2cTokenizer.load(SharedFiles.tok512());
    }

    @Test
    void vocabularyAndSpecialTokens() {
        assertThat(tok.vocabSize()).isEqualTo(512);
        assertThat(tok.encode("")).containsExactly(Llama2cTokenizer.BOS);
        long[] ids = tok.encode("Once upon a time");
        assertThat(ids[0]).isEqualTo(Llama2cTokenizer.BOS);
        assertThat(tok.decode(ids)).isEqualTo("Once upon a time");
    }

    @Test
    void unknownCharactersFallBackToBytes() {
        long[] ids = tok.encode("龍"); // not among TinyStories' 512 tokens
        // BOS, the dummy space, then the three UTF-8 bytes E9 BE 8D of U+9F8D as <0xE9> <0xBE> <0x8D> = byte + 3
        assertThat(ids).containsExactly(1, ids[1], 0xE9 + 3, 0xBE + 3, 0x8D + 3);
        assertThat(tok.piece(0, ids[1])).containsExactly(' ');
        assertThat(tok.decode(ids)).isEqualTo("龍");
    }

    /** Issue 13: `sip identify` showed word starts as empty strings and byte-fallback tokens as broken characters. */
    @Test
    void piecesShowWordStartsAndWholeCharacters() {
        long[] ids = tok.encode("Once upon a 龍 time");
        String[] pieces = tok.pieces(ids);
        assertThat(String.join("", pieces)).isEqualTo("Once upon a 龍 time");
        assertThat(pieces).contains(" upon", " time");
        int dragon = java.util.Arrays.asList(pieces).indexOf("龍");
        assertThat(dragon).as("the character goes whole to the token that completes it").isPositive();
        assertThat(pieces[dragon - 1]).isEmpty(); // its first two bytes
        assertThat(pieces[dragon - 2]).isEmpty();
    }

    @Property(tries = 200)
    void decodeInvertsEncode(@ForAll @StringLength(max = 40) String text) {
        String clean = text.replace("\u0000", "");
        assertThat(tok.decode(tok.encode(clean))).isEqualTo(clean);
    }

    /**
     * The encoder (pair merges looked up once and updated locally) gives run.c's encode token for token: a transcription
     * of run.c's loop (rescan every pair, concatenate, look up, merge the first best) read straight from tok512.bin,
     * on SST-2 sentences and generated strings.
     */
    @Test
    void encodeEqualsRunCsMergeLoop() throws java.io.IOException {
        RunCEncoder ref = new RunCEncoder(SharedFiles.tok512());
        List<String> lines = java.nio.file.Files.readAllLines(SharedFiles.require("data/sst2/dev.tsv")).subList(1, 301);
        for (String line : lines) {
            String text = line.split("\t")[1];
            assertThat(tok.encode(text)).as(text).containsExactly(ref.encode(text));
        }
    }

    @Property(tries = 300)
    void encodeEqualsRunCsMergeLoopOnAnyText(@ForAll @StringLength(max = 80) String text) throws java.io.IOException {
        String clean = text.replace("\u0000", "");
        assertThat(tok.encode(clean)).containsExactly(RunCEncoder.of(SharedFiles.tok512()).encode(clean));
    }

    /** run.c's encode as written there: O(n^2) rescans of every adjacent pair. */
    static final class RunCEncoder {
        private static RunCEncoder cached;
        final List<String> vocab = new java.util.ArrayList<>();
        final List<Float> scores = new java.util.ArrayList<>();
        final java.util.Map<String, Integer> index = new java.util.HashMap<>();

        static synchronized RunCEncoder of(java.nio.file.Path file) throws java.io.IOException {
            return cached != null ? cached : (cached = new RunCEncoder(file));
        }

        RunCEncoder(java.nio.file.Path file) throws java.io.IOException {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(java.nio.file.Files.readAllBytes(file)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.getInt(); // max token length
            while (b.remaining() >= 8) {
                scores.add(b.getFloat());
                byte[] piece = new byte[b.getInt()];
                b.get(piece);
                String p = new String(piece, java.nio.charset.StandardCharsets.ISO_8859_1);
                index.putIfAbsent(p, vocab.size());
                vocab.add(p);
            }
        }

        long[] encode(String text) {
            List<Integer> t = new java.util.ArrayList<>(List.of(1));
            byte[] utf8 = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            if (utf8.length > 0) {
                t.add(index.get(" "));
            }
            for (int i = 0; i < utf8.length; ) {
                int lead = utf8[i] & 0xFF;
                int len = Math.min(lead < 0x80 ? 1 : (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 1,
                        utf8.length - i);
                Integer id = index.get(new String(utf8, i, len, java.nio.charset.StandardCharsets.ISO_8859_1));
                if (id != null) {
                    t.add(id);
                } else {
                    for (int j = 0; j < len; j++) {
                        t.add((utf8[i + j] & 0xFF) + 3);
                    }
                }
                i += len;
            }
            while (true) {
                float best = -1e10f;
                int bestId = -1;
                int bestAt = -1;
                for (int i = 0; i + 1 < t.size(); i++) {
                    Integer id = index.get(vocab.get(t.get(i)) + vocab.get(t.get(i + 1)));
                    if (id != null && scores.get(id) > best) {
                        best = scores.get(id);
                        bestId = id;
                        bestAt = i;
                    }
                }
                if (bestAt < 0) {
                    return t.stream().mapToLong(Integer::longValue).toArray();
                }
                t.set(bestAt, bestId);
                t.remove(bestAt + 1);
            }
        }
    }

    /** run.c merges until no adjacent pair is in the vocabulary: the result admits no further merge. */
    @Test
    void encodingIsFullyMerged() {
        for (String s : List.of("Once upon a time, there was a little girl named Lily.", "She said, \"I'm sorry!\"", "123 abc")) {
            long[] ids = tok.encode(s);
            for (int i = 1; i + 1 < ids.length; i++) {
                byte[] a = tok.piece(0, ids[i]);
                byte[] b = tok.piece(0, ids[i + 1]);
                byte[] ab = new byte[a.length + b.length];
                System.arraycopy(a, 0, ab, 0, a.length);
                System.arraycopy(b, 0, ab, a.length, b.length);
                String joined = new String(ab, java.nio.charset.StandardCharsets.ISO_8859_1);
                boolean inVocab = false;
                for (int id = 3 + 256; id < tok.vocabSize(); id++) {
                    if (new String(tok.piece(0, id), java.nio.charset.StandardCharsets.ISO_8859_1).equals(joined)) {
                        inVocab = true;
                    }
                }
                assertThat(inVocab).as("'%s' + next piece could still merge in '%s'", new String(a), s).isFalse();
            }
        }
    }
}
