package tracelens.provenance;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import tracelens.runtime.DjlRuntime;

/**
 * SHA-256 of files, computed once per file version: digests are remembered, keyed by absolute path, size and
 * modification time, in memory and in {@code <cache>/sha256.tsv} (so a multi-gigabyte checkpoint is hashed once, not
 * at every run).
 */
public final class FileDigest {
    private static final ConcurrentHashMap<String, String> MEMORY = new ConcurrentHashMap<>();

    private FileDigest() {}

    public static String of(Path file) {
        try {
            Path abs = file.toAbsolutePath().normalize();
            String key = abs + "\t" + Files.size(abs) + "\t" + Files.getLastModifiedTime(abs).toMillis();
            String hit = MEMORY.get(key);
            if (hit != null) {
                return hit;
            }
            Path store = DjlRuntime.cacheRoot().resolve("sha256.tsv");
            if (Files.isRegularFile(store)) {
                for (String line : Files.readAllLines(store, StandardCharsets.UTF_8)) {
                    int tab = line.lastIndexOf('\t');
                    if (tab > 0 && line.substring(0, tab).equals(key)) {
                        MEMORY.put(key, line.substring(tab + 1));
                        return line.substring(tab + 1);
                    }
                }
            }
            String digest = compute(abs);
            MEMORY.put(key, digest);
            try {
                Files.createDirectories(store.getParent());
                Files.writeString(store, key + "\t" + digest + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            } catch (IOException e) {
                // a read-only cache only costs the next run a re-hash
            }
            return digest;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** One digest for several files: SHA-256 of their digests in the given order. */
    public static String ofAll(List<Path> files) {
        if (files.size() == 1) {
            return of(files.get(0));
        }
        MessageDigest sha = sha256();
        for (Path f : files) {
            sha.update(of(f).getBytes(StandardCharsets.US_ASCII));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    public static String compute(Path file) throws IOException {
        MessageDigest sha = sha256();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    public static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
