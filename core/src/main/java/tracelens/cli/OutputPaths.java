package tracelens.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import tracelens.error.InvalidInputException;

/**
 * Checks an output path before any work starts, so a run of minutes does not end in "is a folder" (issue 15): a file
 * output must not name a folder, a folder output must not name a file, and the nearest existing parent must be a
 * writable folder. Nothing is created here.
 */
final class OutputPaths {
    private OutputPaths() {}

    static void file(String flag, Path out) {
        if (out == null) {
            return;
        }
        if (Files.isDirectory(out)) {
            throw InvalidInputException.at(out, "is a folder; " + flag + " names the output file");
        }
        writableParent(flag, out);
    }

    /** Output folders this command will create, and the first of their ancestors that does not exist yet. */
    private static final java.util.List<Path> CREATED = new java.util.concurrent.CopyOnWriteArrayList<>();

    static void folder(String flag, Path out) {
        if (out == null) {
            return;
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw InvalidInputException.at(out, "is a file; " + flag + " names an output folder");
        }
        writableParent(flag, out);
        Path first = null;
        for (Path p = out.toAbsolutePath(); p != null && !Files.exists(p); p = p.getParent()) {
            first = p;
        }
        if (first != null) {
            CREATED.add(first);
        }
    }

    /** Starts a command's record of created folders afresh. */
    static void forgetCreated() {
        CREATED.clear();
    }

    /**
     * After a failed command: removes the output folders it created that are still empty (nothing of a failed run stays
     * behind; a folder with files in it, e.g. a killed run's work to resume, is left alone).
     */
    static void removeEmptyCreated() {
        for (Path top : CREATED) {
            if (!Files.isDirectory(top)) {
                continue;
            }
            try (var walk = Files.walk(top)) {
                java.util.List<Path> all = walk.sorted(java.util.Comparator.reverseOrder()).toList();
                if (all.stream().allMatch(Files::isDirectory)) {
                    for (Path p : all) {
                        Files.deleteIfExists(p);
                    }
                }
            } catch (java.io.IOException | java.io.UncheckedIOException ignored) {
                // best effort
            }
        }
        CREATED.clear();
    }

    private static void writableParent(String flag, Path out) {
        Path p = out.toAbsolutePath().getParent();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            return;
        }
        if (!Files.isDirectory(p)) {
            throw InvalidInputException.at(p, "is not a folder, so " + flag + " " + out + " cannot be written");
        }
        if (!Files.isWritable(p)) {
            throw InvalidInputException.at(p, "is not writable (read-only or no permission), so " + flag + " " + out + " cannot be written");
        }
    }
}
