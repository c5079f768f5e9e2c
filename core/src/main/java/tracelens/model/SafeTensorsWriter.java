package tracelens.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tracelens.error.InvalidInputException;
import tracelens.io.AtomicFile;

/**
 * Writes a safetensors file whose tensor shapes are known up front, piece by piece: the header is written
 * first, then callers write any slice of any tensor at its element offset, in any order. Nothing is held in
 * memory but the slice being written. The file appears under its final name only on {@link #commit()}
 * (written to a temporary file in the same folder, then moved); closing without commit deletes it.
 */
public final class SafeTensorsWriter implements AutoCloseable {
    /** A tensor to be written. */
    public record Spec(String name, DType dtype, long[] shape) {
        long bytes() {
            long n = dtype.bytes;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private boolean resumable;
    private boolean resumed;
    private final Map<String, long[]> ranges = new LinkedHashMap<>(); // name -> [absolute begin, end]
    private final Map<String, Spec> specs = new LinkedHashMap<>();
    private boolean committed;

    private SafeTensorsWriter(Path target, Path temp, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.channel = channel;
    }

    public static SafeTensorsWriter create(Path target, List<Spec> tensors, Map<String, String> metadata) {
        Path dir = target.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            removeAbandoned(target);
            Path temp = tracelens.io.AtomicFile.newPartial(dir, target.getFileName().toString());
            FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            SafeTensorsWriter w = new SafeTensorsWriter(target, temp, ch);
            try {
                w.writeHeader(tensors, metadata);
            } catch (RuntimeException | IOException e) {
                w.close();
                throw e;
            }
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** The header (length + JSON padded to 8 bytes) for these tensors; fills the tensor ranges, relative to the data. */
    private byte[] headerBytes(List<Spec> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = root.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        ranges.clear();
        specs.clear();
        long offset = 0;
        for (Spec s : tensors) {
            ObjectNode t = root.putObject(s.name());
            t.put("dtype", s.dtype().name());
            ArrayNode shape = t.putArray("shape");
            for (long d : s.shape()) {
                shape.add(d);
            }
            long end = offset + s.bytes();
            t.putArray("data_offsets").add(offset).add(end);
            ranges.put(s.name(), new long[] {offset, end});
            specs.put(s.name(), s);
            offset = end;
        }
        dataBytes = offset;
        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8; // the reference writer pads with spaces to 8-byte alignment
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        return head.array();
    }

    private long dataBytes;

    private void shiftRanges(long dataStart) {
        for (long[] r : ranges.values()) {
            r[0] += dataStart;
            r[1] += dataStart;
        }
    }

    private void writeHeader(List<Spec> tensors, Map<String, String> metadata) throws IOException {
        byte[] header = headerBytes(tensors, metadata);
        writeFully(ByteBuffer.wrap(header), 0);
        long dataStart = header.length;
        shiftRanges(dataStart);
        channel.truncate(dataStart + dataBytes);
        if (dataBytes > 0) { // size the file now so a tensor never written reads as zeros
            writeFully(ByteBuffer.allocate(1), dataStart + dataBytes - 1);
        }
    }

    /**
     * Like {@link #create}, but the work file has a fixed name ({@code <target>.partial}) and survives a close
     * without commit, so an interrupted run can continue: when that file exists with exactly the header this call
     * would write (same tensors, shapes and metadata), it is reopened as is and {@link #resumed()} is true.
     */
    public static SafeTensorsWriter resumable(Path target, List<Spec> tensors, Map<String, String> metadata) {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = target.resolveSibling(target.getFileName() + ".partial");
        try {
            Files.createDirectories(dir);
            byte[] header = new SafeTensorsWriter(target, temp, null).headerBytes(tensors, metadata);
            boolean same = false;
            if (Files.isRegularFile(temp) && Files.size(temp) >= header.length) {
                try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.READ)) {
                    ByteBuffer existing = ByteBuffer.allocate(header.length);
                    while (existing.hasRemaining() && ch.read(existing) > 0) {
                        // read the old header
                    }
                    same = java.util.Arrays.equals(existing.array(), header);
                }
            }
            FileChannel ch = same ? FileChannel.open(temp, StandardOpenOption.WRITE)
                    : FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
            SafeTensorsWriter w = new SafeTensorsWriter(target, temp, ch);
            w.resumable = true;
            w.resumed = same;
            if (!locked(ch)) {
                ch.close();
                throw InvalidInputException.at(target, "another run is writing it (its work file " + temp.getFileName() + " is locked)");
            }
            try {
                if (same) {
                    w.headerBytes(tensors, metadata); // fills the tensor ranges
                    w.shiftRanges(header.length);
                } else {
                    w.writeHeader(tensors, metadata);
                }
            } catch (RuntimeException | IOException e) {
                if (same) {
                    w.close(); // an interrupted run's work: kept
                } else {
                    w.discard(); // a work file this run just made (e.g. the disk is full): nothing to resume
                }
                throw e;
            }
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** An exclusive lock on the work file while this writer lives (released when its channel closes). */
    private static boolean locked(FileChannel ch) throws IOException {
        try {
            return ch.tryLock() != null;
        } catch (java.nio.channels.OverlappingFileLockException e) {
            return false; // this JVM holds it already
        }
    }

    /**
     * Deletes a resumable run's work file ({@code <target>.partial}) that nobody holds: a run without resume starts
     * over, and a killed resumable run's full-size file would otherwise stay on the disk.
     */
    public static void removeAbandoned(Path target) {
        Path temp = target.resolveSibling(target.getFileName() + ".partial");
        if (!Files.isRegularFile(temp)) {
            return;
        }
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            if (!locked(ch)) {
                return;
            }
        } catch (IOException e) {
            return; // cannot open it: leave it
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** Whether an interrupted run's work file was reopened (see {@link #resumable}). */
    public boolean resumed() {
        return resumed;
    }

    /** Flushes what was written to the disk (so a progress record written after it never runs ahead). */
    public void force() {
        try {
            channel.force(false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /** Writes little-endian bytes of tensor {@code name} starting at element {@code elementOffset}. */
    public void write(String name, long elementOffset, ByteBuffer data) {
        long[] r = ranges.get(name);
        if (r == null) {
            throw new IllegalArgumentException("no tensor '" + name + "' was declared");
        }
        long pos = r[0] + elementOffset * specs.get(name).dtype().bytes;
        if (pos < r[0] || pos + data.remaining() > r[1]) {
            throw new IllegalArgumentException("write of " + data.remaining() + " bytes at element " + elementOffset
                    + " runs outside tensor '" + name + "'");
        }
        try {
            writeFully(data, pos);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    public void writeFloats(String name, long elementOffset, float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        write(name, elementOffset, b);
    }

    public void writeLongs(String name, long elementOffset, long[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        write(name, elementOffset, b);
    }

    private void writeFully(ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += channel.write(b, pos);
        }
    }

    /** Flushes and moves the finished file to its final name. */
    public void commit() {
        try {
            channel.force(false);
            channel.close();
            AtomicFile.move(temp, target);
            committed = true;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot finish " + target + ": " + e.getMessage(), e);
        }
    }

    /** Writes engine arrays (a module's parameters or state dict, by name, in order) as f32 tensors in one go. */
    public static void writeArrays(Path target, Map<String, ai.djl.ndarray.NDArray> arrays, Map<String, String> metadata) {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        arrays.forEach((name, a) -> {
            shapes.put(name, a.getShape().getShape());
            values.put(name, a.toFloatArray());
        });
        writeAll(target, shapes, values, metadata);
    }

    /** Writes a small set of in-memory f32 tensors in one go (fixtures, converted checkpoints). */
    public static void writeAll(Path target, Map<String, long[]> shapes, Map<String, float[]> values,
            Map<String, String> metadata) {
        List<Spec> specs = shapes.entrySet().stream().map(e -> new Spec(e.getKey(), DType.F32, e.getValue())).toList();
        try (SafeTensorsWriter w = create(target, specs, metadata)) {
            values.forEach((name, v) -> w.writeFloats(name, 0, v));
            w.commit();
        }
    }

    /**
     * Closes without committing. A resumable work file is kept for the next run to continue (what a kill leaves); any
     * other is deleted. See {@link #discard} for a resumable run that failed.
     */
    @Override
    public void close() {
        if (committed) {
            return;
        }
        try {
            channel.close();
            if (resumable) {
                return; // kept for the next run to continue
            }
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // best effort: the temp file carries a .partial suffix
        }
    }

    /**
     * Closes and deletes the work file, also a resumable one: a run that stops on an error (disk full, bad input,
     * a numerical failure) leaves nothing behind; only a kill leaves a file to resume.
     */
    public void discard() {
        if (committed) {
            return;
        }
        try {
            channel.close();
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
