package tracelens.io;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;

/**
 * Frees a direct or memory-mapped buffer now instead of whenever the garbage collector gets to it. A model streamed
 * block by block widens gigabytes of weights into short-lived direct buffers and maps gigabytes of checkpoint; left to
 * the collector, they pile up (and mapped pages count in the resident set) until a collection, so peak memory would
 * not be one block's. Uses {@code sun.misc.Unsafe.invokeCleaner} (module jdk.unsupported, the JDK's supported way to
 * release a buffer early); buffers it cannot free (heap buffers, slices and duplicates) are left to the collector.
 */
public final class Buffers {
    private static final Object UNSAFE;
    private static final java.lang.reflect.Method INVOKE_CLEANER;

    static {
        Object unsafe = null;
        java.lang.reflect.Method m = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            unsafe = f.get(null);
            m = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            unsafe = null; // no early release: the collector frees them as before
        }
        UNSAFE = unsafe;
        INVOKE_CLEANER = m;
    }

    private Buffers() {}

    /** Releases {@code b}'s memory (or mapping) now when it owns it; it must not be used afterwards. */
    public static void free(ByteBuffer b) {
        if (b == null || !b.isDirect() || UNSAFE == null) {
            return;
        }
        try {
            INVOKE_CLEANER.invoke(UNSAFE, b);
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            // a slice or duplicate: its memory belongs to another buffer
        }
    }
}
