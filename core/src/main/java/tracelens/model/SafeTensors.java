package tracelens.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import tracelens.error.InvalidInputException;

/**
 * A memory-mapped reader of the safetensors format: a little-endian u64 header length H, H bytes of JSON
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}}, then the data, with
 * offsets relative to the first byte after the header. Each tensor is mapped on its own, so files above
 * 2 GiB work as long as no single tensor is larger. Every offset is checked against the file before use.
 */
public final class SafeTensors implements AutoCloseable {
    /** The reference implementation's cap on the header size; a larger one is a corrupt or hostile file. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** One tensor's entry in the header. */
    public record Info(String name, DType dtype, long[] shape, long begin, long end) {
        public long elements() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    // a header names each tensor once and holds one JSON object (padding spaces aside): duplicate keys and trailing
    // text are corrupt files, which Jackson would otherwise accept (the last duplicate winning), issue 15
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Path path;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Info> tensors;
    private final Map<String, String> metadata;

    private SafeTensors(Path path, FileChannel channel, long dataStart, Map<String, Info> tensors,
            Map<String, String> metadata) {
        this.path = path;
        this.channel = channel;
        this.dataStart = dataStart;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens and validates the header; data is mapped lazily per tensor. */
    /**
     * The {@code __metadata__} of a safetensors header alone (also of a work file whose data is still being written),
     * or an empty map when the file is missing or its header unreadable.
     */
    public static Map<String, String> headerMetadata(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > ch.size()) {
                return Map.of();
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            JsonNode meta = JSON.readTree(header.array()).get("__metadata__");
            Map<String, String> out = new java.util.LinkedHashMap<>();
            if (meta != null) {
                meta.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
            }
            return out;
        } catch (IOException | RuntimeException e) {
            return Map.of();
        }
    }

    public static SafeTensors open(Path path) {
        FileChannel ch;
        try {
            ch = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw InvalidInputException.at(path, "file not found");
        } catch (IOException e) {
            throw InvalidInputException.at(path, "cannot read: " + e.getMessage());
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw InvalidInputException.at(path, "not a safetensors file: " + size + " bytes, the 8-byte header length is missing");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
                throw InvalidInputException.at(path, "header length " + Long.toUnsignedString(headerLen)
                        + " is outside 2.." + MAX_HEADER_BYTES + " bytes: not a safetensors file, or a corrupt one");
            }
            if (8 + headerLen > size) {
                throw InvalidInputException.at(path, "truncated header: it declares " + headerLen
                        + " bytes but the file has only " + (size - 8) + " after the length field");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            long dataStart = 8 + headerLen;
            long dataSize = size - dataStart;
            JsonNode root;
            try {
                root = JSON.readTree(new String(header.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw InvalidInputException.at(path, "header is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
            }
            if (root == null || !root.isObject()) {
                throw InvalidInputException.at(path, "header is not a JSON object");
            }
            Map<String, Info> tensors = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                tensors.put(e.getKey(), parseInfo(path, e.getKey(), e.getValue(), dataSize));
            }
            checkNoOverlap(path, tensors.values());
            return new SafeTensors(path, ch, dataStart, Collections.unmodifiableMap(tensors),
                    Collections.unmodifiableMap(metadata));
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        } catch (IOException e) {
            closeQuietly(ch);
            throw InvalidInputException.at(path, "cannot read: " + e.getMessage());
        }
    }

    /** Two tensors sharing bytes would alias each other: a corrupt or hand-made file. */
    private static void checkNoOverlap(Path path, java.util.Collection<Info> infos) {
        java.util.List<Info> sorted = new java.util.ArrayList<>(infos);
        sorted.sort(java.util.Comparator.comparingLong(Info::begin));
        for (int i = 1; i < sorted.size(); i++) {
            Info prev = sorted.get(i - 1);
            Info cur = sorted.get(i);
            if (cur.begin() < prev.end()) {
                throw InvalidInputException.at(path, "tensor '" + cur.name() + "'", "data_offsets [" + cur.begin() + ", " + cur.end()
                        + "] overlap those of '" + prev.name() + "' [" + prev.begin() + ", " + prev.end() + "]");
            }
        }
    }

    private static Info parseInfo(Path path, String name, JsonNode node, long dataSize) {
        String where = "tensor '" + name + "'";
        JsonNode dt = node.get("dtype");
        JsonNode shp = node.get("shape");
        JsonNode off = node.get("data_offsets");
        if (dt == null || shp == null || off == null || !shp.isArray() || !off.isArray() || off.size() != 2) {
            throw InvalidInputException.at(path, where, "needs dtype, shape and data_offsets [begin, end]");
        }
        DType dtype = DType.parse(dt.asText());
        if (dtype == null) {
            throw InvalidInputException.at(path, where, "unknown dtype '" + dt.asText() + "' (known: " + DType.allowed() + ")");
        }
        long[] shape = new long[shp.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shp.get(i).asLong(-1);
            if (shape[i] < 0) {
                throw InvalidInputException.at(path, where, "shape " + shp + " has a negative or non-numeric dimension");
            }
        }
        long begin = off.get(0).asLong(-1);
        long end = off.get(1).asLong(-1);
        if (begin < 0 || end < begin || end > dataSize) {
            throw InvalidInputException.at(path, where, "data_offsets [" + begin + ", " + end
                    + "] point outside the data section of " + dataSize + " bytes");
        }
        long elements = 1;
        try {
            for (long d : shape) {
                elements = Math.multiplyExact(elements, d);
            }
            Math.multiplyExact(elements, dtype.bytes);
        } catch (ArithmeticException e) {
            throw InvalidInputException.at(path, where, "shape " + shp + " has more elements than a file can hold");
        }
        Info info = new Info(name, dtype, shape, begin, end);
        if (info.elements() * dtype.bytes != end - begin) {
            throw InvalidInputException.at(path, where, "shape " + shp + " of " + dtype + " needs "
                    + info.elements() * dtype.bytes + " bytes but data_offsets span " + (end - begin));
        }
        return info;
    }

    public Path path() {
        return path;
    }

    public Map<String, Info> tensors() {
        return tensors;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    public Info info(String name) {
        Info info = tensors.get(name);
        if (info == null) {
            throw InvalidInputException.at(path, "tensor '" + name + "' is missing");
        }
        return info;
    }

    /** The raw little-endian bytes of one tensor, memory-mapped (read-only). */
    public ByteBuffer raw(String name) {
        Info info = info(name);
        return rawRange(name, 0, info.end() - info.begin());
    }

    /**
     * The tensor as a fresh direct little-endian f32 buffer (F32 copied, F16/BF16/F64 converted), ready
     * for {@code NDManager.create(buffer, shape, FLOAT32)}.
     */
    public ByteBuffer float32(String name) {
        Info info = info(name);
        ByteBuffer src = raw(name);
        long n = info.elements();
        if (n * 4 > Integer.MAX_VALUE) {
            throw InvalidInputException.at(path, "tensor '" + name + "' has " + n + " elements, more than one f32 buffer holds");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) (n * 4)).order(ByteOrder.LITTLE_ENDIAN);
        switch (info.dtype()) {
            case F32 -> out.put(src);
            case F16, BF16 -> DType.widen(src, out, info.dtype() == DType.BF16);
            case F64 -> {
                for (long i = 0; i < n; i++) {
                    out.putFloat((float) src.getDouble());
                }
            }
            default -> throw InvalidInputException.at(path, "tensor '" + name + "'",
                    "dtype " + info.dtype() + " is not a floating-point type");
        }
        out.flip();
        tracelens.io.Buffers.free(src); // unmap now: a streamed model maps its whole checkpoint, block after block
        requireFinite(out, path, name);
        return out;
    }

    /**
     * Refuses a tensor holding NaN or an infinity, naming it: weights or activations like that run without complaint
     * and print plausible-looking numbers (issue 15), so they are stopped where they enter.
     */
    public static void requireFinite(ByteBuffer f32, Path file, String name) {
        int n = f32.remaining() / 4;
        int base = f32.position();
        for (int i = 0; i < n; i++) {
            float v = f32.getFloat(base + 4 * i);
            if (!Float.isFinite(v)) {
                throw nonFinite(file, name, v, i);
            }
        }
    }

    /** {@code length} raw bytes of a tensor from byte {@code offset} within it, memory-mapped read-only (any size tensor). */
    public ByteBuffer rawRange(String name, long offset, long length) {
        Info info = info(name);
        if (offset < 0 || length < 0 || offset + length > info.end() - info.begin()) {
            throw new IllegalArgumentException("byte range [" + offset + ", " + (offset + length) + ") outside tensor '" + name + "'");
        }
        try {
            return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + info.begin() + offset, length).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw InvalidInputException.at(path, "cannot map tensor '" + name + "': " + e.getMessage());
        }
    }

    /**
     * Rows {@code [from, from + count)} of a tensor whose first dimension indexes rows, widened to double: the way to
     * stream a tensor larger than memory (only the mapped pages of those rows are touched).
     */
    public double[] rows(String name, long from, int count) {
        Info info = info(name);
        long rowElems = rowElements(info);
        int n = Math.toIntExact(count * rowElems);
        ByteBuffer src = rawRange(name, from * rowElems * info.dtype().bytes, (long) n * info.dtype().bytes);
        double[] out = new double[n];
        switch (info.dtype()) {
            case F32 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = src.getFloat();
                }
            }
            case F64 -> src.asDoubleBuffer().get(out);
            case F16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = DType.halfToFloat(src.getShort());
                }
            }
            case BF16 -> {
                for (int i = 0; i < n; i++) {
                    out[i] = DType.bf16ToFloat(src.getShort());
                }
            }
            default -> throw InvalidInputException.at(path, "tensor '" + name + "'",
                    "dtype " + info.dtype() + " is not a floating-point type");
        }
        return out;
    }

    /**
     * Rows {@code [from, from + count)} as a float32 engine array in {@code m}: F32 and F16 rows are wrapped where they
     * lie in the mapped file (no copy; the array must not be written to); F64 is narrowed and BF16 widened in Java
     * (the engine's bf16 is unsafe, runtime.md; a wrapped F64 array reached float32 code and crashed the JVM, issue 15).
     */
    public ai.djl.ndarray.NDArray rowsArray(ai.djl.ndarray.NDManager m, String name, long from, int count) {
        Info info = info(name);
        long[] shape = info.shape().clone();
        shape[0] = count;
        ai.djl.ndarray.types.Shape s = new ai.djl.ndarray.types.Shape(shape);
        ai.djl.ndarray.types.DataType type = switch (info.dtype()) {
            case F32 -> ai.djl.ndarray.types.DataType.FLOAT32;
            case F16 -> ai.djl.ndarray.types.DataType.FLOAT16;
            default -> null;
        };
        if (type == null || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            return m.create(rows(name, from, count), s);
        }
        long rowBytes = rowElements(info) * info.dtype().bytes;
        return m.create(rawRange(name, from * rowBytes, count * rowBytes).order(ByteOrder.nativeOrder()), s, type);
    }

    /** Elements per index of the first dimension. */
    private static long rowElements(Info info) {
        return info.shape().length == 0 ? 1 : info.elements() / Math.max(1, info.shape()[0]);
    }

    /** The tensor as a heap float array (small tensors, tests). */
    public float[] floats(String name) {
        Info info = info(name);
        if (info.dtype() == DType.F32 && info.elements() <= Integer.MAX_VALUE) {
            // straight from the mapping into the array (one bulk copy), checked there: no direct-buffer detour, and
            // a plain array loop the JIT compiles at once (a cold 36 MB activation file read in 0.2 s, not 0.8 s)
            float[] out = new float[(int) info.elements()];
            raw(name).asFloatBuffer().get(out);
            requireFinite(out, path, name);
            return out;
        }
        ByteBuffer b = float32(name);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    /** {@link #requireFinite(ByteBuffer, Path, String)} on an array. */
    public static void requireFinite(float[] values, Path file, String name) {
        for (int from = 0; from < values.length; from += 4096) { // in blocks: a small loop the JIT compiles at once
            int i = firstNonFinite(values, from, Math.min(values.length, from + 4096));
            if (i >= 0) {
                throw nonFinite(file, name, values[i], i);
            }
        }
    }

    private static InvalidInputException nonFinite(Path file, String name, float v, int element) {
        return InvalidInputException.at(file, "tensor '" + name + "'", "holds " + v + " at element " + element
                + "; non-finite weights or activations would give meaningless results");
    }

    private static int firstNonFinite(float[] values, int from, int to) {
        float sum = 0; // v * 0 is 0 for every finite v and NaN for NaN and the infinities
        for (int i = from; i < to; i++) {
            sum += values[i] * 0f;
        }
        if (sum == 0) {
            return -1;
        }
        for (int i = from; i < to; i++) {
            if (!Float.isFinite(values[i])) {
                return i;
            }
        }
        return -1;
    }

    /** An integer tensor (I64/I32) as a long array. */
    public long[] longs(String name) {
        Info info = info(name);
        ByteBuffer src = raw(name);
        long[] out = new long[Math.toIntExact(info.elements())];
        for (int i = 0; i < out.length; i++) {
            out[i] = switch (info.dtype()) {
                case I64 -> src.getLong();
                case I32 -> src.getInt();
                case I16 -> src.getShort();
                case I8 -> src.get();
                case U8, BOOL -> src.get() & 0xFF;
                default -> throw InvalidInputException.at(path, "tensor '" + name + "'",
                        "dtype " + info.dtype() + " is not an integer type");
            };
        }
        return out;
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already failing with a better message
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}
