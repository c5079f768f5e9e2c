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
