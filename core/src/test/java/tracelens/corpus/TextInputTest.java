package tracelens.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;

class TextInputTest {
    @TempDir
    Path dir;

    private List<TextRecord> read(String name, String content, TextColumns cols) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        List<TextRecord> out = new ArrayList<>();
        TextInput.of(f, cols).forEach(out::add);
        return out;
    }

    @Test
    void txtIsOneTextPerLineSkippingBlanks() throws IOException {
        List<TextRecord> r = read("a.txt", "\uFEFFfirst line\n\n  \nsecond, with comma\r\nthird", TextColumns.DEFAULT);
        assertThat(r).extracting(TextRecord::text).containsExactly("first line", "second, with comma", "third");
        assertThat(r).extracting(TextRecord::line).containsExactly(1L, 4L, 5L);
        assertThat(r).extracting(TextRecord::source).containsOnlyNulls();
    }

    @Test
    void jsonlDetectsSourceThenLabel() throws IOException {
        List<TextRecord> r = read("a.jsonl", "{\"text\":\"a\",\"source\":\"x\"}\n\n{\"text\":\"b\",\"source\":\"y\"}\n", TextColumns.DEFAULT);
        assertThat(r).extracting(TextRecord::source).containsExactly("x", "y");
        List<TextRecord> l = read("b.jsonl", "{\"text\":\"a\",\"label\":1}\n{\"text\":\"b\",\"label\":0}\n", TextColumns.DEFAULT);
        assertThat(l).extracting(TextRecord::source).containsExactly("1", "0");
        List<TextRecord> none = read("c.jsonl", "{\"text\":\"a\"}\n", TextColumns.DEFAULT);
        assertThat(none).extracting(TextRecord::source).containsOnlyNulls();
    }

    @Test
    void malformedJsonlNamesTheLine() {
        assertThatThrownBy(() -> read("bad.jsonl", "{\"text\":\"a\"}\n{\"text\": oops}\n", TextColumns.DEFAULT))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("bad.jsonl").hasMessageContaining("line 2")
                .hasMessageContaining("malformed JSON");
        assertThatThrownBy(() -> read("nofield.jsonl", "{\"text\":\"a\"}\n\n{\"body\":\"b\"}\n", TextColumns.DEFAULT))
                .hasMessageContaining("line 3").hasMessageContaining("field 'text'");
    }

    @Test
    void csvFollowsRfc4180() throws IOException {
        String csv = "id,sentence,label\n1,\"Hello, world\",pos\n2,\"She said \"\"hi\"\"\nthen left\",neg\n3,plain,pos\n";
        List<TextRecord> r = read("a.csv", csv, new TextColumns("sentence", null));
        assertThat(r).extracting(TextRecord::text).containsExactly("Hello, world", "She said \"hi\"\nthen left", "plain");
        assertThat(r).extracting(TextRecord::source).containsExactly("pos", "neg", "pos");
        assertThat(r).extracting(TextRecord::line).containsExactly(2L, 3L, 5L);
    }

    @Test
    void tsvAsGlueShipsIt() throws IOException {
        List<TextRecord> r = read("a.tsv", "label\tsentence\n1\tit 's \"great\"\n0\tbad\n", new TextColumns("sentence", null));
        assertThat(r).extracting(TextRecord::text).containsExactly("it 's \"great\"", "bad");
        assertThat(r).extracting(TextRecord::source).containsExactly("1", "0");
    }

    @Test
    void missingColumnListsTheHeader() {
        assertThatThrownBy(() -> read("a.csv", "a,b\n1,2\n", TextColumns.DEFAULT))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("a.csv").hasMessageContaining("no column 'text'").hasMessageContaining("[a, b]")
                .hasMessageContaining("--text-column");
        assertThatThrownBy(() -> read("r.csv", "text,source\nok,x\nragged\n", TextColumns.DEFAULT))
                .hasMessageContaining("line 3").hasMessageContaining("has 1 fields, the header has 2");
    }

    @Test
    void fileProblemsAreNamed() throws IOException {
        assertThatThrownBy(() -> TextInput.of(dir.resolve("nope.txt"), TextColumns.DEFAULT)).hasMessageContaining("nope.txt: file not found");
        Path docx = Files.writeString(dir.resolve("a.docx"), "x");
        assertThatThrownBy(() -> TextInput.of(docx, TextColumns.DEFAULT)).hasMessageContaining("unknown input format");
        Path latin1 = dir.resolve("l.txt");
        Files.write(latin1, new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertThatThrownBy(() -> TextInput.of(latin1, TextColumns.DEFAULT).forEach(r -> {})).hasMessageContaining("not valid UTF-8");
    }

    /** Issue 14: a Latin-1 file (common in Project Gutenberg) stopped every run with "not valid UTF-8". */
    @Test
    void latin1IsDetectedOrChosen() throws Exception {
        Path f = dir.resolve("latin1.txt");
        Files.write(f, "caf\u00e9 cr\u00e8me\n\u201cquoted\u201d\n".getBytes(java.nio.charset.Charset.forName("windows-1252")));
        TextInput auto = TextInput.of(f, TextColumns.DEFAULT, "auto");
        java.util.List<String> texts = new java.util.ArrayList<>();
        auto.forEach(r -> texts.add(r.text()));
        assertThat(texts).containsExactly("caf\u00e9 cr\u00e8me", "\u201cquoted\u201d");
        assertThat(auto.encodingNote()).contains(f.toString()).contains("windows-1252");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TextInput.of(f, TextColumns.DEFAULT, "utf-8").forEach(r -> { }))
                .hasMessageContaining(f.toString()).hasMessageContaining("not valid UTF-8");
        TextInput latin = TextInput.of(f, TextColumns.DEFAULT, "latin-1");
        assertThat(latin.encodingNote()).isNull();
        Path utf8 = Files.writeString(dir.resolve("u.txt"), "caf\u00e9\n");
        assertThat(TextInput.of(utf8, TextColumns.DEFAULT, "auto").encodingNote()).isNull();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TextInput.of(utf8, TextColumns.DEFAULT, "klingon"))
                .hasMessageContaining("klingon");
    }
}
