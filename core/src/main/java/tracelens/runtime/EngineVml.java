package tracelens.runtime;

import ai.djl.engine.Engine;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The vector math routine the engine's {@code sqrt} runs, called directly: this PyTorch build sends float {@code sqrt}
 * of a contiguous tensor to MKL's {@code vmsSqrt} in high-accuracy mode (ATen's vml.h), which is not the correctly
 * rounded square root (about 0.6% of results differ from it by one unit in the last place). Code that fuses engine
 * ops into one pass of its own ({@code tracelens.train.FusedAdam}) calls it to keep the engine's bits. Bound with JNA's
 * direct mapping on first use (it loads the engine); off, like {@link EngineBlas}, with {@code TRACELENS_ENGINE_BLAS=0}.
 */
public final class EngineVml {
    /** VML_HA | VML_FTZDAZ_OFF | VML_ERRMODE_IGNORE: the mode ATen passes. */
    private static final long ATEN_MODE = 0x2 | 0x140000 | 0x100;

    private static final class Routine {
        static final boolean BOUND = bind();
    }

    /** MKL_INT is 64-bit in this build (see {@link EngineBlas}); n by value. */
    private static final class Mkl {
        static native void vmsSqrt(long n, Pointer a, Pointer r, long mode);

        /** By value (the lower-case name is the Fortran interface here, by reference). */
        static native int MKL_Set_Num_Threads_Local(int n);
    }

    private EngineVml() {}

    private static boolean bind() {
        if (EngineBlas.switchedOff()) {
            return false;
        }
        try {
            DjlRuntime.configure();
            Engine.getEngine("PyTorch"); // loads libtorch_cpu.so, so the name resolves to the engine's copy
            Native.register(Mkl.class, NativeLibrary.getInstance("torch_cpu"));
            return true;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return false;
        }
    }

    /** Whether {@link #sqrt} runs (the engine's library has the routine and it is not switched off). */
    public static boolean available() {
        return Routine.BOUND;
    }

    /**
     * Makes MKL run single-threaded on the calling thread until {@link #restoreThreads} (MKL's thread-local setting);
     * returns what to restore. For calls on slices of a few thousand elements, where MKL's own threading costs more
     * than it saves (measured: 2-thread training steps 285 -> 325 per second). Results are the same either way.
     */
    public static int singleThreaded() {
        return Routine.BOUND ? Mkl.MKL_Set_Num_Threads_Local(1) : 0;
    }

    /** Undoes {@link #singleThreaded} with the value it returned (0: MKL's global setting again). */
    public static void restoreThreads(int previous) {
        if (Routine.BOUND) {
            Mkl.MKL_Set_Num_Threads_Local(previous);
        }
    }

    /** r[i] = sqrt(a[i]) for n floats, exactly as the engine's {@code sqrt} computes them. */
    public static void sqrt(Pointer a, Pointer r, long n) {
        if (!Routine.BOUND) {
            throw new IllegalStateException("the engine's vmsSqrt is not available");
        }
        if (n > 0) {
            Mkl.vmsSqrt(n, a, r, ATEN_MODE);
        }
    }
}
