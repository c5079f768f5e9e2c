package tracelens.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import tracelens.error.InvalidInputException;

/**
 * Hugging Face hub ids ("org/name") resolved offline through the local Hugging Face cache, the way the hub's own
 * libraries lay it out: {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}, holding
 * {@code models--org--name/snapshots/<revision>/} with {@code refs/main} naming the current revision. tracelens never
 * downloads; an id that is not there gets a message saying how to fetch it.
 */
public final class HubCache {
    private HubCache() {}

    /** {@code model} as a path: an existing file or folder, or a hub id's cached snapshot. */
    public static Path resolve(String model) {
        Path path = Path.of(model);
        if (Files.exists(path) || !looksLikeHubId(model)) {
            return path;
        }
        Path repo = root().resolve("models--" + model.replace("/", "--"));
        Path snapshots = repo.resolve("snapshots");
        if (Files.isDirectory(snapshots)) {
            try {
                Path ref = repo.resolve("refs").resolve("main");
                if (Files.isRegularFile(ref)) {
                    Path snap = snapshots.resolve(Files.readString(ref).strip());
                    if (Files.isDirectory(snap)) {
                        return snap;
                    }
                }
                try (Stream<Path> s = Files.list(snapshots)) { // no refs/main: the most recently written snapshot
                    List<Path> all = s.filter(Files::isDirectory).sorted(Comparator.comparing(HubCache::modified).reversed()).toList();
                    if (!all.isEmpty()) {
                        return all.get(0);
                    }
                }
            } catch (IOException e) {
                throw InvalidInputException.at(repo, "cannot read the Hugging Face cache entry: " + e.getMessage());
            }
        }
        throw new InvalidInputException("model '" + model + "' is not a file or folder here and not in the Hugging Face cache ("
                + root() + "); tracelens runs offline and never downloads: fetch it first, e.g. 'huggingface-cli download " + model
                + "' (which fills that cache) or 'git clone https://huggingface.co/" + model + "', then pass the id or the folder");
    }

    /** "org/name": one slash, no leading dot or slash, characters the hub allows. */
    static boolean looksLikeHubId(String s) {
        return s.matches("[A-Za-z0-9][\\w.-]*/[\\w.-]+") && !s.startsWith(".");
    }

    static Path root() {
        String prop = System.getProperty("tracelens.hf_hub_cache"); // tests: the environment cannot be set in-process
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String cache = System.getenv("HF_HUB_CACHE");
        if (cache != null && !cache.isBlank()) {
            return Path.of(cache);
        }
        String home = System.getenv("HF_HOME");
        if (home != null && !home.isBlank()) {
            return Path.of(home, "hub");
        }
        return Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub");
    }

    private static long modified(Path p) {
        try {
            return Files.getLastModifiedTime(p).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
