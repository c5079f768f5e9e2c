package tracelens.spark;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import tracelens.error.InvalidInputException;

/** Paths on any Hadoop filesystem (file:, hdfs:, s3a:, ...): the corpus, the store and its work folder. */
final class HadoopPaths {
    private HadoopPaths() {}

    static FileSystem fs(Path p, Configuration conf) {
        try {
            return p.getFileSystem(conf);
        } catch (IOException e) {
            throw new InvalidInputException(p + ": no filesystem for this path (" + e.getMessage() + ")");
        }
    }

    static boolean exists(Path p, Configuration conf) {
        try {
            return fs(p, conf).exists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    /** Deletes a folder and what it holds; a failure only leaves a hidden work folder behind. */
    static void deleteQuietly(Path p, Configuration conf) {
        try {
            fs(p, conf).delete(p, true);
        } catch (IOException | RuntimeException e) {
            // best effort: the next run writing the same store removes stale work folders
        }
    }

    static void rename(Path from, Path to, Configuration conf) {
        try {
            if (!fs(from, conf).rename(from, to)) {
                throw new IOException("rename returned false");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + from + " to " + to + ": " + e.getMessage(), e);
        }
    }
}
