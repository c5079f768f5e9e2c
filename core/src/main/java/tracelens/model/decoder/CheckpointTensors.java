package tracelens.model.decoder;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import tracelens.error.InvalidInputException;
import tracelens.model.TensorStore;

/**
 * Base of the Hugging Face families' {@link DecoderParams}: fetches a checkpoint tensor by its own name, checks its
 * shape, and offers the layout changes checkpoints need (row slices of fused matrices, transposes of Conv1D).
 */
public abstract class CheckpointTensors implements DecoderParams {
    protected final TensorStore store;

    protected CheckpointTensors(TensorStore store) {
        this.store = store;
    }

    /** The checkpoint tensor {@code name}, which must have {@code shape}. */
    protected ByteBuffer fetch(String name, long... shape) {
        if (!store.contains(name)) {
            throw new InvalidInputException(store.describe() + ": tensor '" + name + "' is missing from the checkpoint");
        }
        long[] actual = store.shape(name);
        if (!Arrays.equals(actual, shape)) {
            throw new InvalidInputException(store.describe() + ": tensor '" + name + "' has shape " + Arrays.toString(actual)
                    + ", expected " + Arrays.toString(shape) + " from config.json");
        }
        return store.float32(name);
    }

    protected boolean has(String name) {
        return store.contains(name);
    }

    /** Rows {@code rows[i]} of a row-major matrix with {@code cols} columns, in the given order; {@code m} is released. */
    protected static ByteBuffer pickRows(ByteBuffer m, int cols, int[] rows) {
        ByteBuffer out = ByteBuffer.allocateDirect(rows.length * cols * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int r : rows) {
            ByteBuffer row = m.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            row.position(r * cols * 4).limit((r + 1) * cols * 4);
            out.put(row);
        }
        tracelens.io.Buffers.free(m); // a fresh read, used once: release it now (a streamed model reads every block per pass)
        return out.flip();
    }

    /** The transpose of a row-major (rows, cols) matrix; {@code m} is released. */
    protected static ByteBuffer transpose(ByteBuffer m, int rows, int cols) {
        ByteBuffer out = ByteBuffer.allocateDirect(rows * cols * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < cols; c++) {
            for (int r = 0; r < rows; r++) {
                out.putFloat(m.getFloat((r * cols + c) * 4));
            }
        }
        tracelens.io.Buffers.free(m);
        return out.flip();
    }

    /** Elements [from, from + count) of a flat f32 buffer; {@code v} is released. */
    protected static ByteBuffer slice(ByteBuffer v, int from, int count) {
        ByteBuffer s = v.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        s.position(from * 4).limit((from + count) * 4);
        ByteBuffer out = ByteBuffer.allocateDirect(count * 4).order(ByteOrder.LITTLE_ENDIAN);
        out.put(s).flip();
        tracelens.io.Buffers.free(v);
        return out;
    }

    protected static int[] range(int from, int count) {
        int[] r = new int[count];
        for (int i = 0; i < count; i++) {
            r[i] = from + i;
        }
        return r;
    }

    @Override
    public String describe() {
        return store.describe();
    }

    @Override
    public void close() {
        store.close();
    }
}
