package tracelens.runtime;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.sun.jna.Function;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import java.nio.ByteBuffer;

/**
 * A BLAS routine the engine's ops lack, called in the engine's own math library: the PyTorch build links Intel's MKL
 * statically into libtorch_cpu.so and exports its entry points, so {@code dsyrk} (C += AᵀA, the upper triangle only)
 * runs there through JNA (already on the classpath for DJL) on the engine array's own memory. A Gram matrix then costs
 * half the multiplications of a matrix product: the covariance of 100,000 x 768 points took 0.51-0.53 s of products
 * instead of 0.72-0.79 s with triangle tiles of products (BENCHMARKS.md). The same MKL, under the same MKL_CBWR, as
 * every other product of the engine, so the same seed gives the same numbers. Where the symbol is missing (another
 * engine build) {@link #available()} is false and callers use the engine's products; {@code TRACELENS_ENGINE_BLAS=0}
 * (or the system property {@code tracelens.engineBlas=false}) forces that.
 */
public final class EngineBlas {
    /**
     * MKL's Fortran-interface dsyrk; every integer argument by reference and 64-bit (checked: 32-bit ones crash it).
     * Looked up on first use (it loads the engine), not when provenance asks {@link #switchedOff()}.
     */
    private static final class Routine {
        static final Function DSYRK = find();
    }

    private EngineBlas() {}

    /** Whether the user switched the routine off ({@code TRACELENS_ENGINE_BLAS=0} or {@code -Dtracelens.engineBlas=false}). */
    public static boolean switchedOff() {
        return "false".equals(System.getProperty("tracelens.engineBlas")) || "0".equals(System.getenv("TRACELENS_ENGINE_BLAS"));
    }

    private static Function find() {
        if (switchedOff()) {
            return null;
        }
        try {
            DjlRuntime.configure();
            Engine.getEngine("PyTorch"); // loads libtorch_cpu.so, so the name below resolves to the engine's copy
            return NativeLibrary.getInstance("torch_cpu").getFunction("mkl_blas_dsyrk");
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    /** Whether {@link #syrkUpper} runs (the engine's library has the routine and it is not switched off). */
    public static boolean available() {
        return Routine.DSYRK != null;
    }

    /** Native memory for an n x n float64 matrix, zeroed; free it with {@link Memory#close()}. */
    public static Memory matrix(int n) {
        Memory c = new Memory(8L * n * n);
        c.clear();
        return c;
    }

    /**
     * C += AᵀA on the upper triangle of C (column-major n x n, so read C[i][j] for i <= j at {@code 8 (i + j n)}), for
     * A a float64 engine array of k rows and n columns. A is made contiguous first where it is not.
     */
    public static void syrkUpper(NDArray a, Memory c, int n) {
        if (Routine.DSYRK == null) {
            throw new IllegalStateException("the engine's dsyrk is not available");
        }
        long[] shape = a.getShape().getShape();
        if (shape.length != 2 || shape[1] != n || a.getDataType() != DataType.FLOAT64) {
            throw new IllegalArgumentException("syrk needs a float64 (k, " + n + ") array, found " + a.getDataType() + " "
                    + a.getShape());
        }
        if (c.size() != 8L * n * n) {
            throw new IllegalArgumentException("C holds " + c.size() + " bytes, not " + n + " x " + n + " doubles");
        }
        long k = shape[0];
        if (k == 0) {
            return;
        }
        ByteBuffer data = a.toByteBuffer(true); // the array's own memory when contiguous (row-major A is column-major Aᵀ)
        if (!data.isDirect() || data.capacity() != 8L * k * n) {
            throw new IllegalStateException("the engine gave " + data.capacity() + " bytes for " + k + " x " + n + " doubles");
        }
        try (Memory args = new Memory(4 * 8 + 2 * 8 + 2)) {
            args.setLong(0, n); // N: order of C
            args.setLong(8, k); // K: rows of A
            args.setLong(16, n); // LDA
            args.setLong(24, n); // LDC
            args.setDouble(32, 1); // alpha
            args.setDouble(40, 1); // beta: accumulate
            args.setByte(48, (byte) 'U');
            args.setByte(49, (byte) 'N');
            Pointer p = Native.getDirectBufferPointer(data);
            // C := alpha op(A) op(A)ᵀ + beta C with op = N on the column-major n x k view of A's memory: AᵀA
            Routine.DSYRK.invokeVoid(new Object[] {args.share(48), args.share(49), args.share(0), args.share(8), args.share(32), p,
                    args.share(16), args.share(40), c, args.share(24)});
        }
    }

    /** C's upper triangle (as {@link #syrkUpper} leaves it) as a full symmetric row-major n x n array. */
    public static double[] symmetric(Memory c, int n) {
        double[] col = c.getDoubleArray(0, n * n); // column-major: (i, j) at i + j n
        double[] g = new double[n * n];
        for (int j = 0; j < n; j++) {
            for (int i = 0; i <= j; i++) {
                g[i * n + j] = col[i + j * n];
                g[j * n + i] = col[i + j * n];
            }
        }
        return g;
    }
}
