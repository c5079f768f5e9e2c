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

    static void folder(String flag, Path out) {
        if (out == null) {
            return;
        }
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw InvalidInputException.at(out, "is a file; " + flag + " names an output folder");
        }
        writableParent(flag, out);
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
