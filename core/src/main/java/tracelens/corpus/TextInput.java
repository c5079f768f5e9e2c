package tracelens.corpus;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import tracelens.error.InvalidInputException;

/**
 * Streams the texts of an input file, one {@link TextRecord} at a time, so inputs of any size pass through
 * bounded memory. Formats, chosen by extension: {@code .txt} (one text per line; blank lines skipped),
 * {@code .jsonl} (one object per line with a text field and optionally a source or label field),
 * {@code .csv} (RFC 4180: quoted fields may hold commas, quotes and newlines) and {@code .tsv} (tab
 * separated, no quoting, as GLUE ships it), both with a header row, and {@code .parquet} (through DuckDB, see
 * ParquetTable; "line" is then the row). Errors name the file and line.
 */
public final class TextInput {
    public enum Format { TXT, JSONL, CSV, TSV, PARQUET }

    private final Path path;
    private final Format format;
    private final TextColumns columns;
    private java.nio.charset.Charset charset = StandardCharsets.UTF_8;
    private boolean detected;

    private TextInput(Path path, Format format, TextColumns columns) {
        this.path = path;
        this.format = format;
        this.columns = columns;
    }

    /**
     * As {@link #of(Path, TextColumns)}, read in {@code encoding}: a charset name (utf-8, latin-1, windows-1252, ...) or
     * "auto", which reads UTF-8 when the bytes are valid UTF-8 and Windows-1252 (Latin-1 with typographic quotes, as
     * Project Gutenberg files often are) otherwise; {@link #encodingNote()} then says so.
     */
    public static TextInput of(Path path, TextColumns columns, String encoding) {
        TextInput in = of(path, columns);
        if (encoding == null || encoding.equalsIgnoreCase("auto")) {
            if (in.format != Format.PARQUET && !validUtf8(path)) {
                in.charset = java.nio.charset.Charset.forName("windows-1252");
                in.detected = true;
            }
        } else {
            try {
                in.charset = java.nio.charset.Charset.forName(encoding.equalsIgnoreCase("latin-1") ? "ISO-8859-1" : encoding);
            } catch (IllegalArgumentException e) {
                throw InvalidInputException.field("encoding", " '" + encoding + "' is not a known character encoding"
                        + " (e.g. utf-8, latin-1, windows-1252, or auto)");
            }
        }
        return in;
    }

    /** The encoding the file is read in. */
    public java.nio.charset.Charset charset() {
        return charset;
    }

    /** A note when the encoding was detected rather than UTF-8 or asked for, else null. */
    public String encodingNote() {
        return detected ? path + " is not valid UTF-8; read it as " + charset.name() + " (Latin-1 with typographic quotes);"
                + " pass --encoding to choose another" : null;
    }

    private static boolean validUtf8(Path path) {
        var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (var ch = java.nio.channels.FileChannel.open(path)) {
            java.nio.ByteBuffer in = java.nio.ByteBuffer.allocate(1 << 16);
            java.nio.CharBuffer out = java.nio.CharBuffer.allocate(1 << 16);
            while (true) {
                int n = ch.read(in);
                in.flip();
                out.clear();
                var r = decoder.decode(in, out, n < 0);
                if (r.isError()) {
                    return false;
                }
                if (n < 0) {
                    return !decoder.flush(out).isError();
                }
                in.compact();
            }
        } catch (IOException e) {
            return true; // the read proper reports it, naming the file
        }
    }

    /** Checks that the file exists and has a known extension; reading happens in {@link #forEach}. */
    public static TextInput of(Path path, TextColumns columns) {
        if (!Files.exists(path)) {
            throw InvalidInputException.at(path, "file not found");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw InvalidInputException.at(path, "not a readable file");
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        Format format;
        if (name.endsWith(".txt")) {
            format = Format.TXT;
        } else if (name.endsWith(".jsonl") || name.endsWith(".ndjson")) {
            format = Format.JSONL;
        } else if (name.endsWith(".csv")) {
            format = Format.CSV;
        } else if (name.endsWith(".tsv")) {
            format = Format.TSV;
        } else if (name.endsWith(".parquet")) {
            format = Format.PARQUET;
        } else {
            throw InvalidInputException.at(path, "unknown input format: expected .txt, .jsonl, .csv, .tsv or .parquet");
        }
        return new TextInput(path, format, detectSource(path, format, columns));
    }

    /** Fills in the source column from the first record or header when the user named none. */
    private static TextColumns detectSource(Path path, Format format, TextColumns columns) {
        if (columns.source() != null || format == Format.TXT) {
            return columns;
        }
        if (format == Format.PARQUET) {
            List<String> names = ParquetTable.columns(path);
            for (String candidate : TextColumns.SOURCE_NAMES) {
                if (names.contains(candidate)) {
                    return new TextColumns(columns.text(), candidate);
                }
            }
            return columns;
        }
        try (LineReader reader = new LineReader(Files.newBufferedReader(path, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null && line.isBlank()) {
                // skip leading blank lines
            }
            if (line == null) {
                return columns;
            }
            List<String> names = new ArrayList<>();
            if (format == Format.JSONL) {
                try {
                    new ObjectMapper().readTree(line).fieldNames().forEachRemaining(names::add);
                } catch (JsonProcessingException | RuntimeException e) {
                    return columns; // the full read reports the malformed line
                }
            } else {
                String header = line.startsWith("\uFEFF") ? line.substring(1) : line;
                for (String f : header.split(format == Format.CSV ? "," : "\t", -1)) {
                    names.add(f.strip().replaceAll("^\"|\"$", ""));
                }
            }
            for (String candidate : TextColumns.SOURCE_NAMES) {
                if (names.contains(candidate)) {
                    return new TextColumns(columns.text(), candidate);
                }
            }
            return columns;
        } catch (IOException e) {
            return columns; // the full read reports the I/O problem with the file name
        }
    }

    /** The column the source labels come from, or null. */
    public String sourceColumn() {
        return hasSources() ? columns.source() : null;
    }

    public Path path() {
        return path;
    }

    public Format format() {
        return format;
    }

    /** Whether records carry a source label (JSONL/CSV/TSV with a source column chosen or present). */
    public boolean hasSources() {
        return format != Format.TXT && columns.source() != null;
    }

    /** Reads the whole file once, in order, handing each record to {@code sink}. */
    public void forEach(Consumer<TextRecord> sink) {
        if (format == Format.PARQUET) { // typed columns: no character encoding to choose
            ParquetTable.forEach(path, columns.text(), columns.source(), sink);
            return;
        }
        try (java.io.Reader reader = open()) {
            switch (format) {
                case TXT -> readTxt(new LineReader(reader), sink);
                case JSONL -> readJsonl(new LineReader(reader), sink);
                case CSV -> readDelimited(new CsvRows(new BufferedReader(reader, 1 << 16)), sink);
                case TSV -> readDelimited(new TsvRows(new LineReader(reader)), sink);
            }
        } catch (UncheckedIOException e) {
            throw describe(e.getCause());
        } catch (IOException e) {
            throw describe(e);
        }
    }

    private java.io.Reader open() throws IOException {
        CodingErrorAction bad = detected ? CodingErrorAction.REPLACE : CodingErrorAction.REPORT; // 5 bytes Windows-1252 leaves undefined
        var decoder = charset.newDecoder().onMalformedInput(bad).onUnmappableCharacter(bad);
        return new java.io.InputStreamReader(Files.newInputStream(path), decoder);
    }

    private InvalidInputException describe(IOException e) {
        if (e instanceof LineReader.TooLong) {
            return InvalidInputException.at(path, e.getMessage());
        }
        if (e instanceof CharacterCodingException) {
            return InvalidInputException.at(path, "not valid " + charset.name() + " text");
        }
        if (e instanceof NoSuchFileException) {
            return InvalidInputException.at(path, "file not found");
        }
        if (e instanceof AccessDeniedException) {
            return InvalidInputException.at(path, "permission denied");
        }
        return InvalidInputException.at(path, "cannot read: " + e.getMessage());
    }

    private void readTxt(LineReader reader, Consumer<TextRecord> sink) throws IOException {
        String line;
        long n = 0;
        while ((line = reader.readLine()) != null) {
            n++;
            if (n == 1 && line.startsWith("\uFEFF")) {
                line = line.substring(1);
            }
            if (!line.isBlank()) {
                sink.accept(new TextRecord(line, null, n));
            }
        }
    }

    private void readJsonl(LineReader reader, Consumer<TextRecord> sink) throws IOException {
        ObjectMapper json = new ObjectMapper();
        String line;
        long n = 0;
        while ((line = reader.readLine()) != null) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = json.readTree(line);
            } catch (JsonProcessingException e) {
                throw InvalidInputException.at(path, "line " + n, "malformed JSON: " + e.getOriginalMessage());
            }
            if (node == null || !node.isObject()) {
                throw InvalidInputException.at(path, "line " + n, "expected a JSON object");
            }
            JsonNode text = node.get(columns.text());
            if (text == null || !text.isTextual()) {
                throw InvalidInputException.at(path, "line " + n, "field '" + columns.text() + "' is missing or not a string");
            }
            String source = null;
            if (columns.source() != null) {
                JsonNode s = node.get(columns.source());
                if (s == null || s.isNull() || s.isContainerNode()) {
                    throw InvalidInputException.at(path, "line " + n, "field '" + columns.source() + "' is missing or not a scalar");
                }
                source = s.asText();
            }
            sink.accept(new TextRecord(text.asText(), source, n));
        }
    }

    private void readDelimited(Iterator<Row> rows, Consumer<TextRecord> sink) {
        if (!rows.hasNext()) {
            throw InvalidInputException.at(path, "empty file: expected a header row");
        }
        List<String> header = rows.next().fields;
        if (!header.isEmpty() && header.get(0).startsWith("\uFEFF")) {
            header.set(0, header.get(0).substring(1));
        }
        int textCol = column(header, columns.text(), "--text-column");
        int sourceCol = columns.source() == null ? -1 : column(header, columns.source(), "--source-column");
        while (rows.hasNext()) {
            Row row = rows.next();
            if (row.fields.size() == 1 && row.fields.get(0).isEmpty()) {
                continue; // blank line
            }
            if (row.fields.size() != header.size()) {
                throw InvalidInputException.at(path, "line " + row.line, "has " + row.fields.size()
                        + " fields, the header has " + header.size());
            }
            sink.accept(new TextRecord(row.fields.get(textCol), sourceCol < 0 ? null : row.fields.get(sourceCol), row.line));
        }
    }

    private int column(List<String> header, String name, String flag) {
        int i = header.indexOf(name);
        if (i < 0) {
            throw InvalidInputException.at(path, "line 1", "no column '" + name + "' in the header " + header
                    + " (choose one with " + flag + ")");
        }
        return i;
    }

    private record Row(List<String> fields, long line) {}

    /** Tab-separated rows, one per line, no quoting. */
    private static final class TsvRows implements Iterator<Row> {
        private final LineReader reader;
        private String next;
        private long line;

        TsvRows(LineReader reader) {
            this.reader = reader;
            advance();
        }

        private void advance() {
            try {
                next = reader.readLine();
                line++;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public boolean hasNext() {
            return next != null;
        }

        @Override
        public Row next() {
            if (next == null) {
                throw new NoSuchElementException();
            }
            Row row = new Row(new ArrayList<>(List.of(next.split("\t", -1))), line);
            advance();
            return row;
        }
    }

    /** RFC 4180 rows: fields separated by commas, double-quoted fields may span lines and escape "" as ". */
    private final class CsvRows implements Iterator<Row> {
        private final BufferedReader reader;
        private long line = 1;
        private int peek;

        CsvRows(BufferedReader reader) throws IOException {
            this.reader = reader;
            this.peek = reader.read();
        }

        @Override
        public boolean hasNext() {
            return peek != -1;
        }

        @Override
        public Row next() {
            try {
                long start = line;
                List<String> fields = new ArrayList<>();
                StringBuilder field = new StringBuilder();
                boolean quoted = false;
                boolean wasQuoted = false;
                while (true) {
                    int c = peek;
                    if (c == -1) {
                        if (quoted) {
                            throw InvalidInputException.at(path, "line " + start, "quoted field is not closed before the end of the file");
                        }
                        fields.add(field.toString());
                        return new Row(fields, start);
                    }
                    peek = reader.read();
                    if (quoted) {
                        if (c == '"') {
                            if (peek == '"') {
                                field.append('"');
                                peek = reader.read();
                            } else {
                                quoted = false;
                            }
                        } else {
                            if (c == '\n') {
                                line++;
                            }
                            field.append((char) c);
                        }
                    } else if (c == '"' && field.length() == 0 && !wasQuoted) {
                        quoted = true;
                        wasQuoted = true;
                    } else if (c == ',') {
                        fields.add(field.toString());
                        field.setLength(0);
                        wasQuoted = false;
                    } else if (c == '\r' && peek == '\n') {
                        continue;
                    } else if (c == '\n') {
                        line++;
                        fields.add(field.toString());
                        return new Row(fields, start);
                    } else {
                        field.append((char) c);
                    }
                    if (field.length() > LineReader.MAX_CHARS) {
                        throw InvalidInputException.at(path, "line " + start, "has a field longer than " + LineReader.MAX_CHARS
                                + " characters, the most tracelens reads as one text (is a quote left open?)");
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
