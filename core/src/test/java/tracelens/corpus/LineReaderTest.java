package tracelens.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;

/** Issue 15: a 1 GB single-line input was read whole; lines are now bounded, and otherwise read as BufferedReader does. */
class LineReaderTest {
    @TempDir
    Path dir;

    @Property(tries = 1000, seed = "15")
    void splitsLinesExactlyAsBufferedReader(@ForAll @StringLength(max = 300) @CharRange(from = '\n', to = '\r')
            @CharRange(from = 'a', to = 'c') String text) throws IOException {
        List<String> expected = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new StringReader(text), 16)) {
            for (String l; (l = r.readLine()) != null; ) {
                expected.add(l);
            }
        }
        List<String> got = new ArrayList<>();
        try (LineReader r = new LineReader(new StringReader(text), 1000)) {
            for (String l; (l = r.readLine()) != null; ) {
                got.add(l);
            }
            assertThat(r.lineNumber()).isEqualTo(expected.size());
        }
        assertThat(got).isEqualTo(expected);
    }

    @Test
    void aLineOverTheBoundIsRefusedWithItsNumber() throws IOException {
        try (LineReader r = new LineReader(new StringReader("ok\n" + "x".repeat(70_000) + "\nnext\n"), 65_536)) {
            assertThat(r.readLine()).isEqualTo("ok");
            assertThatThrownBy(r::readLine).isInstanceOf(LineReader.TooLong.class).hasMessageContaining("line 2 is longer than");
        }
    }

    @Test
    void aHugeSingleLineFileIsBadInputNamingFileAndLine() throws IOException {
        for (String ext : new String[] {"txt", "jsonl", "tsv", "csv"}) {
            Path f = dir.resolve("huge." + ext);
            String header = ext.equals("tsv") || ext.equals("csv") ? "text\n" : "";
            String body = ext.equals("jsonl") ? "{\"text\": \"" + "y".repeat(LineReader.MAX_CHARS) + "\"}" : "y".repeat(LineReader.MAX_CHARS + 1);
            Files.writeString(f, header + body + "\n");
            TextInput in = TextInput.of(f, TextColumns.DEFAULT);
            assertThatThrownBy(() -> in.forEach(r -> { })).as(ext).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining(f.toString()).hasMessageContaining("line " + (header.isEmpty() ? 1 : 2))
                    .hasMessageContaining("longer than");
            Files.delete(f);
        }
    }
}
