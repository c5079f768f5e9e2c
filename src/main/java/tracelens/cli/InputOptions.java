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

    /** The input, with {@code sourceColumn} (null: detect 'source' or 'label') for the labels. */
    TextInput open(String sourceColumn) {
        return TextInput.of(input, new TextColumns(textColumn, sourceColumn));
    }
}
