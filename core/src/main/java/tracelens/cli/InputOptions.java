package tracelens.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import tracelens.corpus.TextColumns;
import tracelens.corpus.TextInput;

/** The text file a command reads, and which field or column holds the text. */
public final class InputOptions {
    @Option(names = "--input", required = true, paramLabel = "FILE",
            description = "Texts: .txt (one per line), .jsonl, .csv or .tsv (with a header).")
    Path input;

    @Option(names = "--text-column", defaultValue = "text", paramLabel = "NAME",
            description = "JSONL field or CSV/TSV column holding the text. (default: ${DEFAULT-VALUE})")
    String textColumn;

    @Option(names = "--encoding", defaultValue = "auto", paramLabel = "NAME",
            description = "Character encoding of --input: auto (UTF-8, or Windows-1252/Latin-1 when the bytes are not UTF-8,"
                    + " with a note), or a name such as utf-8, latin-1, windows-1252. (default: ${DEFAULT-VALUE})")
    String encoding;

    /** The input, with {@code sourceColumn} (null: detect 'source' or 'label') for the labels; a detected encoding is noted on err. */
    TextInput open(String sourceColumn, java.io.PrintWriter err, OutputOptions output) {
        TextInput in = TextInput.of(input, new TextColumns(textColumn, sourceColumn), encoding);
        if (in.encodingNote() != null && !output.quiet) {
            err.println("note: " + in.encodingNote());
        }
        return in;
    }
}
