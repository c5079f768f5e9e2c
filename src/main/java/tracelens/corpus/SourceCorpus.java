package tracelens.corpus;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import tracelens.error.InvalidInputException;

/**
 * Reads texts labelled by source as whole documents. A corpus is: the built-in {@code sotu} (State of the Union,
 * source = president, party or address); a folder of {@code .txt} files (one source per file, named after the
 * file) or of sub-folders of {@code .txt} files (one source per sub-folder, each file a document); or a
 * .jsonl/.csv/.tsv file with text and source columns (each record a document).
 */
public final class SourceCorpus {
    public static final String SOTU = "sotu";

    private SourceCorpus() {}

    public static List<Document> read(String corpus, TextColumns columns, SotuCorpus.SourceField sotuField, Path cache) {
        if (corpus.equals(SOTU)) {
            return SotuCorpus.documents(SotuCorpus.read(SotuCorpus.dataDir(cache)), sotuField);
        }
        Path path = Path.of(corpus);
        if (!Files.exists(path)) {
            throw new InvalidInputException("--corpus " + corpus + ": no such file or folder (or say '" + SOTU + "')");
        }
        return Files.isDirectory(path) ? folder(path) : records(path, columns);
    }

    private static List<Document> folder(Path dir) {
        List<Document> docs = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            List<Path> sorted = entries.sorted().toList();
            boolean subfolders = sorted.stream().anyMatch(Files::isDirectory);
            for (Path p : sorted) {
                if (subfolders && Files.isDirectory(p)) {
                    try (Stream<Path> files = Files.list(p)) {
                        for (Path f : files.filter(SourceCorpus::isTxt).sorted().toList()) {
                            docs.add(new Document(dir.relativize(f).toString(), p.getFileName().toString(), text(f)));
                        }
                    }
                } else if (!subfolders && isTxt(p)) {
                    String name = p.getFileName().toString();
                    docs.add(new Document(name, name.substring(0, name.length() - 4), text(p)));
                }
            }
        } catch (IOException e) {
            throw InvalidInputException.at(dir, "cannot list: " + e.getMessage());
        }
        if (docs.isEmpty()) {
            throw InvalidInputException.at(dir, "no .txt files (a corpus folder holds one .txt per source, or one sub-folder per source)");
        }
        return docs;
    }

    private static boolean isTxt(Path p) {
        return Files.isRegularFile(p) && p.getFileName().toString().endsWith(".txt");
    }

    private static String text(Path f) {
        try {
            return Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw InvalidInputException.at(f, "cannot read as UTF-8 text: " + e.getMessage());
        }
    }

    private static List<Document> records(Path file, TextColumns columns) {
        TextInput in = TextInput.of(file, columns);
        if (!in.hasSources()) {
            throw InvalidInputException.at(file, "no source column: name one with --source-column (looked for 'source' and 'label')");
        }
        List<Document> docs = new ArrayList<>();
        in.forEach(r -> docs.add(new Document(file.getFileName() + ":" + r.line(), r.source(), r.text())));
        return docs;
    }
}
