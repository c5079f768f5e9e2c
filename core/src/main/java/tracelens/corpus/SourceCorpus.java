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
 * file) or of sub-folders of {@code .txt} files (one source per sub-folder, each file a document); a PG19-style
 * folder ({@code metadata.csv} + {@code train/*.txt}: one source per book, named by its title); a document-level
 * wikitext file ({@code .txt} whose articles start with {@code = Title =} lines: one source per article); an
 * Extreme Classification Repository raw-text folder ({@code trn_X.txt} one text per line, {@code trn_X_Y.txt} with a
 * header "num_points num_labels" and per text "id:1.0 id:1.0 ...", then {@code tst_X.txt}/{@code tst_X_Y.txt} when
 * there, label names from {@code Y.txt}; or the same as {@code texts.txt}, {@code labels.txt}, {@code label_names.txt}): a text is a document
 * of every label it carries (sip.md §1.1), so multi-label texts repeat across sources and are reported; or a
 * .jsonl/.csv/.tsv file with text and source columns (each record a document).
 */
public final class SourceCorpus {
    public static final String SOTU = "sotu";

    private SourceCorpus() {}

    /**
     * PG19 book selection (sip.md §1.2): the first {@code books} files of train/ in name order, each read up to
     * {@code lines} + 1 lines, kept only when it has more than {@code lines} lines; {@code lines} 0 reads whole books
     * and keeps all of them.
     */
    public record Pg19(int books, int lines) {
        public static final Pg19 ORIGINAL = new Pg19(100, 256);

        public Pg19 {
            if (books < 1 || lines < 0) {
                throw new InvalidInputException("--pg19-books must be at least 1 and --pg19-lines at least 0");
            }
        }
    }

    public static List<Document> read(String corpus, TextColumns columns, SotuCorpus.SourceField sotuField, Path cache) {
        return read(corpus, columns, sotuField, cache, Pg19.ORIGINAL);
    }

    /** Whether {@code corpus} names a PG19-style folder (metadata.csv beside train/). */
    public static boolean isPg19(String corpus) {
        Path p = Path.of(corpus);
        return Files.isRegularFile(p.resolve("metadata.csv")) && Files.isDirectory(p.resolve("train"));
    }

    public static List<Document> read(String corpus, TextColumns columns, SotuCorpus.SourceField sotuField, Path cache, Pg19 pg19) {
        if (corpus.equals(SOTU)) {
            return SotuCorpus.documents(SotuCorpus.read(SotuCorpus.dataDir(cache)), sotuField);
        }
        Path path = Path.of(corpus);
        if (!Files.exists(path)) {
            throw InvalidInputException.field("corpus", " " + corpus + ": no such file or folder (or say '" + SOTU + "')");
        }
        if (Files.isDirectory(path)) {
            List<Path[]> xml = extremeClassificationParts(path);
            if (!xml.isEmpty()) {
                return extremeClassification(path, xml);
            }
            return isPg19(corpus) ? pg19(path, pg19) : folder(path);
        }
        return path.getFileName().toString().endsWith(".txt") ? wikitext(path) : records(path, columns);
    }

    /**
     * The (texts, labels) file pairs of an Extreme Classification raw-text folder, in reading order: the repository's
     * own names ({@code trn_X.txt} with {@code trn_X_Y.txt}, then {@code tst_X.txt} with {@code tst_X_Y.txt} when
     * present) or tracelens's older {@code texts.txt} with {@code labels.txt}; empty when {@code dir} is neither.
     */
    static List<Path[]> extremeClassificationParts(Path dir) {
        List<Path[]> parts = new ArrayList<>();
        for (String[] names : new String[][] {{"trn_X.txt", "trn_X_Y.txt"}, {"tst_X.txt", "tst_X_Y.txt"}, {"texts.txt", "labels.txt"}}) {
            if (Files.isRegularFile(dir.resolve(names[0])) && Files.isRegularFile(dir.resolve(names[1]))) {
                parts.add(new Path[] {dir.resolve(names[0]), dir.resolve(names[1])});
            }
        }
        if (!parts.isEmpty() && parts.get(0)[0].getFileName().toString().startsWith("tst_")) {
            throw InvalidInputException.at(dir, "has tst_X.txt but no trn_X.txt with trn_X_Y.txt");
        }
        if (parts.size() > 1 && parts.get(parts.size() - 1)[0].getFileName().toString().equals("texts.txt")) {
            parts.remove(parts.size() - 1); // the repository's names win over tracelens's older ones
        }
        return parts;
    }

    /**
     * Label names: {@code Y.txt} (the repository's raw label texts) or {@code label_names.txt}, one a line in label id
     * order; a label without a name is "label ID".
     */
    private static List<String> labelNames(Path dir) throws IOException {
        for (String name : new String[] {"Y.txt", "label_names.txt"}) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return Files.readAllLines(dir.resolve(name), StandardCharsets.UTF_8);
            }
        }
        return List.of();
    }

    private static List<Document> extremeClassification(Path dir, List<Path[]> parts) {
        List<String> names;
        try {
            names = labelNames(dir);
        } catch (IOException e) {
            throw InvalidInputException.at(dir, "cannot read label names: " + e.getMessage());
        }
        // one document per (text, label), grouped by label in order of first appearance
        java.util.Map<Integer, List<Document>> byLabel = new java.util.LinkedHashMap<>();
        for (Path[] part : parts) {
            Path textsFile = part[0];
            Path labelsFile = part[1];
            try (var texts = Files.newBufferedReader(textsFile, StandardCharsets.UTF_8);
                 var labels = Files.newBufferedReader(labelsFile, StandardCharsets.UTF_8)) {
                String header = labels.readLine();
                if (header == null || !header.strip().matches("\\d+\\s+\\d+")) {
                    throw InvalidInputException.at(labelsFile, "line 1", "expected the header 'num_points num_labels'");
                }
                int points = Integer.parseInt(header.strip().split("\\s+")[0]);
                int i = 0;
                for (String line = labels.readLine(); line != null; line = labels.readLine(), i++) {
                    String text = texts.readLine();
                    if (text == null) {
                        throw InvalidInputException.at(textsFile, "has " + i + " lines, but " + labelsFile.getFileName() + " has more label lines");
                    }
                    line = line.strip();
                    for (String item : line.isEmpty() ? new String[0] : line.split("\\s+")) {
                        int label;
                        try {
                            label = Integer.parseInt(item.split(":")[0]);
                        } catch (NumberFormatException e) {
                            throw InvalidInputException.at(labelsFile, "line " + (i + 2), "'" + item + "' is not id:value");
                        }
                        String name = label < names.size() ? names.get(label).strip() : "label " + label;
                        byLabel.computeIfAbsent(label, k -> new ArrayList<>())
                                .add(new Document(textsFile.getFileName() + " line " + (i + 1), name, text));
                    }
                }
                boolean moreTexts = texts.readLine() != null;
                if (points != i || moreTexts) {
                    throw InvalidInputException.at(labelsFile, "line 1", "header says " + points + " points; there are " + i
                            + " label lines and " + (moreTexts ? "more than " + i : String.valueOf(i)) + " texts in " + textsFile.getFileName());
                }
            } catch (IOException e) {
                throw InvalidInputException.at(textsFile, "cannot read: " + e.getMessage());
            }
        }
        List<Document> docs = new ArrayList<>();
        byLabel.values().forEach(docs::addAll);
        return docs;
    }

    /**
     * PG19 layout: {@code metadata.csv} without header (column 0 the book id, column 1 its title) and
     * {@code train/<id>.txt}. Books in file-name order; each line is cleaned as the SIP successor code does (the
     * matches of [\w.,]+ joined by single spaces, then "12:3" and "12 3" number pairs removed).
     */
    private static List<Document> pg19(Path dir, Pg19 selection) {
        java.util.Map<String, String> titles = new java.util.HashMap<>();
        try {
            for (String line : Files.readAllLines(dir.resolve("metadata.csv"), StandardCharsets.UTF_8)) {
                String[] f = line.split(",", 3);
                if (f.length >= 2) {
                    titles.put(f[0].strip(), f[1].strip().replaceAll("^\"|\"$", ""));
                }
            }
        } catch (IOException e) {
            throw InvalidInputException.at(dir.resolve("metadata.csv"), "cannot read: " + e.getMessage());
        }
        List<Document> docs = new ArrayList<>();
        try (Stream<Path> books = Files.list(dir.resolve("train"))) {
            for (Path b : books.filter(SourceCorpus::isTxt).sorted().limit(selection.books()).toList()) {
                String id = b.getFileName().toString().replaceFirst("\\.txt$", "");
                StringBuilder text = new StringBuilder();
                String[] lines = text(b).split("\n", -1);
                int read = lines.length;
                if (lines.length > 0 && lines[lines.length - 1].isEmpty()) {
                    read--; // the newline that ends the last line starts no line
                }
                if (selection.lines() > 0) {
                    read = Math.min(read, selection.lines() + 1); // the original reads until it has more than `lines`
                    if (read <= selection.lines()) {
                        continue; // a book of `lines` lines or fewer is dropped
                    }
                }
                for (int i = 0; i < read; i++) {
                    String clean = pg19Clean(lines[i]);
                    if (!clean.isBlank()) {
                        text.append(clean).append(' ');
                    }
                }
                docs.add(new Document(id, titles.getOrDefault(id, id), text.toString().strip()));
            }
        } catch (IOException e) {
            throw InvalidInputException.at(dir.resolve("train"), "cannot list: " + e.getMessage());
        }
        if (docs.isEmpty()) {
            throw InvalidInputException.at(dir.resolve("train"), "no .txt books");
        }
        return docs;
    }

    static String pg19Clean(String line) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[\\w.,]+", java.util.regex.Pattern.UNICODE_CHARACTER_CLASS).matcher(line);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(m.group());
        }
        return sb.toString().replaceAll("\\d+:\\d+", "").replaceAll("\\d+ \\d+", "");
    }

    /**
     * Document-level wikitext: an article starts at a line " = Title = " (one '=' on each side; "= = Section = ="
     * lines are inside articles); the source is the title with inner spaces kept, as the SIP successor reads it.
     */
    private static List<Document> wikitext(Path file) {
        List<Document> docs = new ArrayList<>();
        java.util.regex.Pattern title = java.util.regex.Pattern.compile("^ ?= ([^=].*[^=]|[^=]) = ?$");
        String current = null;
        StringBuilder text = new StringBuilder();
        for (String line : text(file).split("\n")) {
            java.util.regex.Matcher m = title.matcher(line);
            if (m.matches()) {
                if (current != null) {
                    docs.add(new Document(current, current, text.toString().strip()));
                }
                current = m.group(1).strip();
                text.setLength(0);
            } else if (current != null) {
                text.append(line).append('\n');
            }
        }
        if (current != null) {
            docs.add(new Document(current, current, text.toString().strip()));
        }
        if (docs.isEmpty()) {
            throw InvalidInputException.at(file, "no article titles (' = Title = ' lines): a .txt corpus file is read as "
                    + "document-level wikitext; use .jsonl/.csv/.tsv for labelled records, or a folder of .txt files");
        }
        return docs;
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
