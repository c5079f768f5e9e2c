package tracelens.io;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes a file so that it appears whole or not at all: the content goes to a temporary file in the same folder,
 * which is then moved over the target (atomically where the file system can).
 */
public final class AtomicFile {
    /** Writes text through a writer; may throw IOException. */
    @FunctionalInterface
    public interface Content {
        void write(BufferedWriter out) throws IOException;
    }

    private AtomicFile() {}

    public static void write(Path target, Content content) {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = newPartial(dir, target.getFileName().toString());
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                content.write(w);
            }
            move(tmp, target);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort: the name ends in .partial
                }
            }
        }
    }

    /**
     * A new, empty work file ".NAME.<unique>.partial" in {@code dir}. Unlike Files.createTempFile (always mode 0600),
     * it gets the permissions the user's umask gives any new file, so finished outputs are as readable as the user's
     * other files.
     */
    public static Path newPartial(Path dir, String name) throws IOException {
        removeStalePartials(dir, name);
        for (int attempt = 0; ; attempt++) {
            Path p = dir.resolve("." + name + "." + ProcessHandle.current().pid() + "-"
                    + Long.toUnsignedString(java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36) + ".partial");
            try {
                return Files.createFile(p);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt > 100) {
                    throw e;
                }
            }
        }
    }

    /**
     * Deletes the work files (and {@link AtomicFolder}'s work folders) of {@code name} in {@code dir} that killed runs
     * left behind: ".NAME.<pid>-*.partial" whose process no longer exists (a run that is killed cannot clean up; the
     * next one writing the same output does). Returns how many it removed.
     */
    public static int removeStalePartials(Path dir, String name) {
        String prefix = "." + name + ".";
        int removed = 0;
        try (var files = Files.newDirectoryStream(dir, f -> {
            String n = f.getFileName().toString();
            return n.startsWith(prefix) && n.endsWith(".partial");
        })) {
            for (Path f : files) {
                String middle = f.getFileName().toString().substring(prefix.length());
                int dash = middle.indexOf('-');
                long pid;
                try {
                    pid = Long.parseLong(dash < 0 ? "" : middle.substring(0, dash));
                } catch (NumberFormatException e) {
                    continue; // not one of ours
                }
                if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue; // a running writer's
                }
                if (Files.isDirectory(f)) {
                    AtomicFolder.deleteTree(f);
                    removed++;
                } else if (Files.deleteIfExists(f)) {
                    removed++;
                }
            }
        } catch (IOException | java.nio.file.DirectoryIteratorException e) {
            // best effort: a folder we cannot list gets its error when the new file is created
        }
        return removed;
    }

    public static void writeString(Path target, String content) {
        write(target, w -> w.write(content));
    }

    /** Moves a finished temporary file over the target. */
    public static void move(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
