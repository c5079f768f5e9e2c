package tracelens.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;
import tracelens.model.SafeTensors;
import tracelens.testing.CliRun;

/** Parquet inputs (issue 14): the same records as the same texts in JSONL, bad files and columns named. */
class ParquetInputTest {
    @TempDir
    Path dir;

    static final List<String[]> ROWS = List.of(new String[] {"Plain text.", "alpha"}, new String[] {"Commas, \"quotes\"\nand a newline", "beta"},
            new String[] {"Ünïcödé — ✓ 日本語", "alpha"}, new String[] {"", "gamma"});

    /** Writes ROWS to a Parquet file (columns text, source, n) and to a JSONL file with the same records. */
    static Path parquet(Path dir, String name) throws Exception {
        Path file = dir.resolve(name);
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:")) {
            c.createStatement().execute("CREATE TABLE t (text VARCHAR, source VARCHAR, n INTEGER)");
            try (PreparedStatement s = c.prepareStatement("INSERT INTO t VALUES (?, ?, ?)")) {
                int n = 0;
                for (String[] r : ROWS) {
                    s.setString(1, r[0]);
                    s.setString(2, r[1]);
                    s.setInt(3, n++);
                    s.execute();
                }
            }
            c.createStatement().execute("COPY t TO '" + file.toString().replace("'", "''") + "' (FORMAT PARQUET)");
        }
        return file;
    }

    @Test
    void readsTextsAndSourcesInFileOrder() throws Exception {
        Path p = parquet(dir, "corpus.parquet");
        TextInput in = TextInput.of(p, TextColumns.DEFAULT);
        assertThat(in.format()).isEqualTo(TextInput.Format.PARQUET);
        assertThat(in.sourceColumn()).as("detected like a CSV header's").isEqualTo("source");
        List<TextRecord> got = new ArrayList<>();
        in.forEach(got::add);
        assertThat(got).hasSize(ROWS.size());
        for (int i = 0; i < ROWS.size(); i++) {
            assertThat(got.get(i).text()).isEqualTo(ROWS.get(i)[0]);
            assertThat(got.get(i).source()).isEqualTo(ROWS.get(i)[1]);
            assertThat(got.get(i).line()).isEqualTo(i + 1);
        }
        List<TextRecord> numbers = new ArrayList<>();
        TextInput.of(p, new TextColumns("text", "n")).forEach(numbers::add);
        assertThat(numbers.get(3).source()).isEqualTo("3");
    }

    @Test
    void aMissingColumnANullTextAndAFileThatIsNotParquetAreBadInput() throws Exception {
        Path p = parquet(dir, "corpus.parquet");
        assertThatThrownBy(() -> TextInput.of(p, new TextColumns("sentence", null)).forEach(r -> { }))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("corpus.parquet")
                .hasMessageContaining("no column 'sentence'").hasMessageContaining("[text, source, n]");
        Path nulls = dir.resolve("nulls.parquet");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:")) {
            c.createStatement().execute("COPY (SELECT * FROM (VALUES ('a'), (NULL)) v(text)) TO '" + nulls + "' (FORMAT PARQUET)");
        }
        assertThatThrownBy(() -> TextInput.of(nulls, TextColumns.DEFAULT).forEach(r -> { }))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("row 2").hasMessageContaining("null");
        Path fake = Files.writeString(dir.resolve("fake.parquet"), "text,source\nhello,a\n");
        assertThatThrownBy(() -> TextInput.of(fake, TextColumns.DEFAULT).forEach(r -> { }))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("fake.parquet").hasMessageContaining("Parquet");
        CliRun r = CliRun.of("activations", "--input", fake.toString(), "--out", dir.resolve("x.safetensors").toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("fake.parquet").doesNotContain("Exception");
    }

    @Test
    void activationsFromParquetEqualThoseFromTheSameTextsInJsonl() throws Exception {
        Path p = parquet(dir, "corpus.parquet");
        StringBuilder jsonl = new StringBuilder();
        ObjectMapper json = new ObjectMapper();
        for (String[] r : ROWS.subList(0, 3)) { // the three non-empty texts
            jsonl.append(json.writeValueAsString(java.util.Map.of("text", r[0], "source", r[1]))).append('\n');
        }
        Path j = Files.writeString(dir.resolve("corpus.jsonl"), jsonl);
        Path three = dir.resolve("three.parquet");
        try (Connection c = DriverManager.getConnection("jdbc:duckdb:")) {
            c.createStatement().execute("COPY (SELECT * FROM read_parquet('" + p + "') WHERE text <> '') TO '" + three + "' (FORMAT PARQUET)");
        }
        Path a = dir.resolve("a.safetensors");
        Path b = dir.resolve("b.safetensors");
        CliRun ra = CliRun.of("activations", "--input", three.toString(), "--out", a.toString(), "--layers", "0,6", "--quiet");
        assertThat(ra.exitCode()).as(ra.err()).isZero();
        CliRun rb = CliRun.of("activations", "--input", j.toString(), "--out", b.toString(), "--layers", "0,6", "--quiet");
        assertThat(rb.exitCode()).as(rb.err()).isZero();
        try (SafeTensors x = SafeTensors.open(a); SafeTensors y = SafeTensors.open(b)) {
            assertThat(java.util.Arrays.equals(x.floats("layer.6"), y.floats("layer.6"))).isTrue();
            assertThat(x.longs("labels")).containsExactly(y.longs("labels"));
        }
    }
}
