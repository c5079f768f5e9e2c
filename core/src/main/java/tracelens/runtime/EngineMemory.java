package tracelens.runtime;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.sun.jna.Native;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * An engine array's own memory, for loops that read and write it in place (tracelens.train.FusedAdam). DJL's
 * {@code toByteBuffer(true)} lends the tensor's memory only where it is contiguous and on the CPU, and silently hands
 * over a fresh copy otherwise, where writes would be lost; a copy has a new address at each call, so two calls that
 * agree on the address are the array's own memory.
 */
public final class EngineMemory {
    private EngineMemory() {}

    /**
     * The float32 array's own memory, or null where the engine would hand over a copy (not float32, not on the CPU, not
     * contiguous).
     */
    public static FloatBuffer floats(NDArray a) {
        if (a.getDataType() != DataType.FLOAT32 || !a.getDevice().equals(Device.cpu()) || a.isSparse()) {
            return null;
        }
        ByteBuffer first = a.toByteBuffer(true);
        ByteBuffer second = a.toByteBuffer(true);
        if (!first.isDirect() || Native.getDirectBufferPointer(first) == null
                || !Native.getDirectBufferPointer(first).equals(Native.getDirectBufferPointer(second))) {
            return null;
        }
        return first.order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
