package tracelens.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;

/**
 * A folder of outputs that appears whole or not at all (an image folder, marked images): filled as a hidden sibling
 * ".NAME.<pid>-dir.partial" (AtomicFile's work-file naming, so its sweep of stale work files covers folders), then
 * renamed. On an error the work folder is deleted; one a killed run left (its process
 * gone) is deleted by the next run writing the same folder.
 */
public final class AtomicFolder {
    @FunctionalInterface
    public interface Content {
        void write(Path dir) throws IOException;
    }

    private AtomicFolder() {}

    /** Fills a work folder with {@code content} and renames it to {@code target}, which must not exist. */
    public static void write(Path target, Content content) throws IOException {
        Path abs = target.toAbsolutePath();
        Path parent = abs.getParent();
        Path tmp = parent.resolve("." + abs.getFileName() + "." + ProcessHandle.current().pid() + "-dir.partial");
        try { // every I/O error below names the output ("cannot write DIR: why"), so callers never add it again
            Files.createDirectories(parent);
            AtomicFile.removeStalePartials(parent, abs.getFileName().toString());
            deleteTree(tmp);
            Files.createDirectory(tmp);
            content.write(tmp);
            Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteTree(tmp);
            String msg = String.valueOf(e.getMessage()).replace(tmp.toString(), abs.toString()); // name the output, not the work folder
            throw new IOException(msg.startsWith("cannot write") ? msg : "cannot write " + abs + ": " + msg, e);
        } catch (RuntimeException e) {
            deleteTree(tmp);
            throw e;
        }
    }

    /** Deletes a folder and everything in it (no error when it does not exist). */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
