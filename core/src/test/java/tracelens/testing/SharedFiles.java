package tracelens.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Files in ../shared (models and data every developer and CI has). A missing file fails the test loudly: these
 * tests must never skip silently.
 */
public final class SharedFiles {
    private SharedFiles() {}

    public static Path root() {
        return Path.of(System.getProperty("tracelens.shared", "../../shared"));
    }

    public static Path require(String relative) {
        Path p = root().resolve(relative);
        assertThat(Files.isRegularFile(p)).as("%s is required (../shared must sit beside the repository, in CI too)", p).isTrue();
        return p;
    }

    public static Path stories260K() {
        return require("models/stories260K/stories260K.bin");
    }

    public static Path tok512() {
        return require("models/stories260K/tok512.bin");
    }
}
