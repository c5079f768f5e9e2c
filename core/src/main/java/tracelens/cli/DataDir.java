package tracelens.cli;

import java.nio.file.Path;

/** Where the built-in tasks' data lies: --data-dir, else $TRACELENS_DATA, else ../shared/data. */
final class DataDir {
    private DataDir() {}

    static Path resolve(Path given) {
        if (given != null) {
            return given;
        }
        String env = System.getenv("TRACELENS_DATA");
        return env != null ? Path.of(env) : Path.of("..", "shared", "data");
    }
}
