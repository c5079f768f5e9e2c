package tracelens.model.torch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import tracelens.error.InvalidInputException;
import tracelens.model.DType;
import tracelens.model.SafeTensors;
import tracelens.model.TensorStore;

/**
 * A PyTorch checkpoint in the zip format {@code torch.save} writes since 1.6 ({@code pytorch_model.bin}, torchvision
 * {@code .pth}): {@code <archive>/data.pkl} read by {@link WeightsOnlyUnpickler} (no code runs), the storages
 * {@code <archive>/data/<key>} memory-mapped where they lie (torch stores them uncompressed), so a tensor is read only
 * when asked for. The zip directory is parsed here (ZIP64 included, for checkpoints over 4 GB) because the JDK's zip
 * reader does not tell where an entry's bytes start.
 */
public final class TorchCheckpoint implements TensorStore {
    private final Path file;
    private final FileChannel channel;
    private final Map<String, long[]> entries; // name -> {data offset, size, method}
    private final Map<String, WeightsOnlyUnpickler.TensorRef> tensors;
    private final String archive;

    private TorchCheckpoint(Path file, FileChannel channel, Map<String, long[]> entries, String archive) {
        this.file = file;
        this.channel = channel;
        this.entries = entries;
        this.archive = archive;
        this.tensors = WeightsOnlyUnpickler.stateDict(entry(archive + "data.pkl"), file + " (data.pkl)");
    }

    /** Whether {@code file} starts like a zip archive (a torch.save file since 1.6). */
    public static boolean isZip(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return isZip(ch);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isZip(FileChannel ch) {
        ByteBuffer b = ByteBuffer.allocate(4);
        try {
            ch.read(b, 0);
        } catch (IOException e) {
            return false;
        }
        return b.position() == 4 && b.get(0) == 'P' && b.get(1) == 'K' && b.get(2) == 3 && b.get(3) == 4;
    }

    public static TorchCheckpoint open(Path file) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw InvalidInputException.at(file, "cannot read: " + e.getMessage());
        }
        try {
            if (!isZip(ch)) {
                throw InvalidInputException.at(file, "not a zip-format PyTorch checkpoint (torch.save before 1.6 wrote another"
                        + " format; load and save it again with a recent PyTorch, or convert it to safetensors)");
            }
            Map<String, long[]> entries = directory(file, ch);
            String archive = null;
            for (String name : entries.keySet()) {
                if (name.endsWith("data.pkl") && (name.indexOf('/') == name.length() - "data.pkl".length() - 1 || name.equals("data.pkl"))) {
                    archive = name.substring(0, name.length() - "data.pkl".length());
                }
            }
            if (archive == null) {
                throw InvalidInputException.at(file, "a zip file without data.pkl: not a PyTorch checkpoint");
            }
            return new TorchCheckpoint(file, ch, entries, archive);
        } catch (RuntimeException e) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // the error says what went wrong
            }
            throw e;
        }
    }

    /** The tensors' names, in the checkpoint's order. */
    public java.util.Set<String> names() {
        return tensors.keySet();
    }

    public DType dtype(String name) {
        return tensor(name).storage().dtype();
    }

    @Override
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        return tensor(name).size().clone();
    }

    @Override
    public ByteBuffer float32(String name) {
        WeightsOnlyUnpickler.TensorRef t = tensor(name);
        DType type = t.storage().dtype();
        if (type != DType.F32 && type != DType.F16 && type != DType.BF16 && type != DType.F64) {
            throw InvalidInputException.at(file, "tensor '" + name + "'", "dtype " + type + " is not a floating-point type");
        }
        long n = t.numel();
        if (n * 4 > Integer.MAX_VALUE) {
            throw InvalidInputException.at(file, "tensor '" + name + "' has " + n + " elements, more than one f32 buffer holds");
        }
        ByteBuffer storage = entry(archive + "data/" + t.storage().key()).order(ByteOrder.LITTLE_ENDIAN);
        if (storage.capacity() < t.storage().numel() * type.bytes) {
            throw InvalidInputException.at(file, "storage " + t.storage().key() + " of tensor '" + name + "'", "has "
                    + storage.capacity() + " bytes, fewer than its " + t.storage().numel() + " elements");
        }
        ByteBuffer out = ByteBuffer.allocateDirect((int) (n * 4)).order(ByteOrder.LITTLE_ENDIAN);
        if (t.contiguous()) { // the usual case: one run of bytes, converted in bulk as safetensors are
            ByteBuffer run = storage.slice((int) (t.offset() * type.bytes), (int) (n * type.bytes)).order(ByteOrder.LITTLE_ENDIAN);
            switch (type) {
                case F32 -> out.put(run);
                case F16, BF16 -> DType.widen(run, out, type == DType.BF16);
                default -> {
                    for (long i = 0; i < n; i++) {
                        out.putFloat((float) run.getDouble());
                    }
                }
            }
        } else {
            strided(t, storage, type, out);
        }
        tracelens.io.Buffers.free(storage); // unmap now, as SafeTensors.float32 does: a streamed model reads every block per pass
        out.flip();
        SafeTensors.requireFinite(out, file, name);
        return out;
    }

    /** A view that is not one run of bytes (a transpose, say), read element by element through its strides. */
    private static void strided(WeightsOnlyUnpickler.TensorRef t, ByteBuffer storage, DType type, ByteBuffer out) {
        long n = t.numel();
        long[] size = t.size();
        long[] stride = t.stride();
        long[] index = new long[size.length];
        for (long i = 0; i < n; i++) { // row-major over the view, reading each element through the strides
            long at = t.offset();
            for (int d = 0; d < size.length; d++) {
                at += index[d] * stride[d];
            }
            int byteAt = (int) (at * type.bytes);
            out.putFloat(switch (type) {
                case F32 -> storage.getFloat(byteAt);
                case F16 -> DType.halfToFloat(storage.getShort(byteAt));
                case BF16 -> DType.bf16ToFloat(storage.getShort(byteAt));
                default -> (float) storage.getDouble(byteAt);
            });
            for (int d = size.length - 1; d >= 0; d--) {
                if (++index[d] < size[d]) {
                    break;
                }
                index[d] = 0;
            }
        }
    }

    @Override
    public String describe() {
        return file.toString();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            // nothing was written
        }
    }

    private WeightsOnlyUnpickler.TensorRef tensor(String name) {
        WeightsOnlyUnpickler.TensorRef t = tensors.get(name);
        if (t == null) {
            throw new InvalidInputException(file + ": tensor '" + name + "' is missing from the checkpoint");
        }
        return t;
    }

    /** An entry's bytes, memory-mapped (stored entries only: torch.save never compresses). */
    private ByteBuffer entry(String name) {
        long[] e = entries.get(name);
        if (e == null) {
            throw InvalidInputException.at(file, "entry '" + name + "' is missing from the archive");
        }
        if (e[2] != 0) {
            throw InvalidInputException.at(file, "entry '" + name + "' is compressed (method " + e[2] + "); torch.save stores"
                    + " entries uncompressed, so this file was rewritten by another tool");
        }
        if (e[1] > Integer.MAX_VALUE) {
            throw InvalidInputException.at(file, "entry '" + name + "' has " + e[1] + " bytes, more than one buffer maps");
        }
        try {
            MappedByteBuffer b = channel.map(FileChannel.MapMode.READ_ONLY, e[0], e[1]);
            return b.order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException ex) {
            throw InvalidInputException.at(file, "cannot map entry '" + name + "': " + ex.getMessage());
        }
    }

    /** The central directory: entry name to {data offset, size, compression method}. */
    static Map<String, long[]> directory(Path file, FileChannel ch) {
        try {
            long size = ch.size();
            int tail = (int) Math.min(size, 65_557); // end record (22) + longest comment
            ByteBuffer end = ByteBuffer.allocate(tail).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(end, size - tail);
            int eocd = -1;
            for (int i = tail - 22; i >= 0; i--) {
                if (end.getInt(i) == 0x06054b50) {
                    eocd = i;
                    break;
                }
            }
            if (eocd < 0) {
                throw InvalidInputException.at(file, "a zip file without its end record (truncated?)");
            }
            long count = end.getShort(eocd + 10) & 0xffff;
            long dirSize = end.getInt(eocd + 12) & 0xffffffffL;
            long dirOffset = end.getInt(eocd + 16) & 0xffffffffL;
            if (dirOffset == 0xffffffffL || count == 0xffff) { // ZIP64: the locator sits just before the end record
                int loc = eocd - 20;
                if (loc < 0 || end.getInt(loc) != 0x07064b50) {
                    throw InvalidInputException.at(file, "a ZIP64 file without its locator");
                }
                long z64 = end.getLong(loc + 8);
                ByteBuffer rec = ByteBuffer.allocate(56).order(ByteOrder.LITTLE_ENDIAN);
                ch.read(rec, z64);
                if (rec.getInt(0) != 0x06064b50) {
                    throw InvalidInputException.at(file, "a ZIP64 end record that is not one");
                }
                count = rec.getLong(32);
                dirSize = rec.getLong(40);
                dirOffset = rec.getLong(48);
            }
            if (dirOffset + dirSize > size || dirSize > Integer.MAX_VALUE) {
                throw InvalidInputException.at(file, "a zip directory outside the file (truncated?)");
            }
            ByteBuffer dir = ByteBuffer.allocate((int) dirSize).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(dir, dirOffset);
            Map<String, long[]> out = new HashMap<>();
            int p = 0;
            for (long i = 0; i < count; i++) {
                if (p + 46 > dirSize || dir.getInt(p) != 0x02014b50) {
                    throw InvalidInputException.at(file, "a corrupt zip directory (entry " + i + ")");
                }
                int method = dir.getShort(p + 10) & 0xffff;
                long compressed = dir.getInt(p + 20) & 0xffffffffL;
                long uncompressed = dir.getInt(p + 24) & 0xffffffffL;
                int nameLen = dir.getShort(p + 28) & 0xffff;
                int extraLen = dir.getShort(p + 30) & 0xffff;
                int commentLen = dir.getShort(p + 32) & 0xffff;
                long local = dir.getInt(p + 42) & 0xffffffffL;
                byte[] nameBytes = new byte[nameLen];
                dir.get(p + 46, nameBytes);
                String name = new String(nameBytes, StandardCharsets.UTF_8);
                int x = p + 46 + nameLen;
                int xEnd = x + extraLen;
                while (x + 4 <= xEnd) { // ZIP64 extra field: the 0xffffffff values, in order
                    int id = dir.getShort(x) & 0xffff;
                    int len = dir.getShort(x + 2) & 0xffff;
                    if (id == 1) {
                        int q = x + 4;
                        if (uncompressed == 0xffffffffL) {
                            uncompressed = dir.getLong(q);
                            q += 8;
                        }
                        if (compressed == 0xffffffffL) {
                            compressed = dir.getLong(q);
                            q += 8;
                        }
                        if (local == 0xffffffffL) {
                            local = dir.getLong(q);
                        }
                    }
                    x += 4 + len;
                }
                ByteBuffer header = ByteBuffer.allocate(30).order(ByteOrder.LITTLE_ENDIAN);
                ch.read(header, local);
                if (header.getInt(0) != 0x04034b50) {
                    throw InvalidInputException.at(file, "entry '" + name + "' points to no local header");
                }
                long data = local + 30 + (header.getShort(26) & 0xffff) + (header.getShort(28) & 0xffff);
                if (data + compressed > size) {
                    throw InvalidInputException.at(file, "entry '" + name + "' runs past the end of the file (truncated?)");
                }
                out.put(name, new long[] {data, method == 0 ? uncompressed : compressed, method});
                p += 46 + nameLen + extraLen + commentLen;
            }
            return out;
        } catch (IOException e) {
            throw InvalidInputException.at(file, "cannot read: " + e.getMessage());
        }
    }
}
