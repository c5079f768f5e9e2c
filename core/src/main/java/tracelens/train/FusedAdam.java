package tracelens.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Random;
import tracelens.runtime.DjlRuntime;
import tracelens.runtime.EngineMemory;
import tracelens.runtime.EngineVml;

/**
 * The engine's fused Adam update (DJL's {@code adamUpdate} followed by its {@code zeroGrad}) in one pass over each
 * tensor, with the same bits. The engine's version is twelve elementwise passes over the parameter's size (a gradient
 * clone, the clip factor, {@code add_(weight, 0)}, four temporaries for lr·m/(√v+ε), the gradient zeroed); for the SIP
 * identifier's 385,000 parameters those passes, out of cache, were the gap to PyTorch in a training step
 * (BENCHMARKS.md). Here each block of {@link #BLOCK} elements is read once into arrays that stay in cache, updated,
 * and written back into the engine's memory.
 *
 * <p>Same bits, op by op, as ATen computes them (checked against the engine by FusedAdamTest): the clip factor as a
 * float product; {@code add_(w, wd)} and {@code add_(g, 1-β1)} as ATen's vectorised {@code fmadd(other, alpha, self)};
 * {@code addcmul_(g, g, 1-β2)} as this build compiles it, {@code fma((1-β2) g, g, β2 v)}; the square root by the very
 * routine the engine's {@code sqrt} calls ({@link EngineVml}, not the correctly rounded one); then
 * {@code w - (m lr') / (√v + ε')}, all float32. Used only where that holds: the engine's {@code vmsSqrt} bound, the
 * once-per-JVM comparison with the engine passed ({@link #sameBitsAsTheEngine}), and float32 arrays whose memory the
 * engine lends rather than copies ({@link EngineMemory}); otherwise callers use the engine's update.
 */
final class FusedAdam {
    static final int BLOCK = 2048;

    private final float[] w = new float[BLOCK];
    private final float[] g = new float[BLOCK];
    private final float[] m = new float[BLOCK];
    private final float[] v = new float[BLOCK];
    private final float[] zeros = new float[BLOCK];
    private final Memory root = new Memory(4L * BLOCK);

    /** Whether the one-pass update runs: the engine's vmsSqrt is bound and {@link #sameBitsAsTheEngine} held. */
    static boolean available() {
        return Check.PASSED;
    }

    private static final class Check {
        static final boolean PASSED = EngineVml.available() && sameBitsAsTheEngine();
    }

    /**
     * Whether this loop gives the engine's bits on this processor and in this environment, checked once per JVM on
     * two blocks and a tail over three steps (with clipping and decay): the engine's kernels differ by CPU capability
     * (ATen's portable kernels, as under {@code ATEN_CPU_CAPABILITY=default} or TRACELENS_CROSS_CPU, do not fuse the
     * multiply-adds that its AVX2 and AVX-512 kernels do), so that is verified, not assumed; the engine's update runs
     * where it fails.
     */
    static boolean sameBitsAsTheEngine() {
        int n = 2 * BLOCK + 37;
        Random r = new Random(20261202);
        float[] w0 = new float[n];
        for (int i = 0; i < n; i++) {
            w0[i] = (float) r.nextGaussian();
        }
        DjlRuntime.configure();
        try (NDManager m = Engine.getEngine("PyTorch").newBaseManager(Device.cpu())) {
            Shape shape = new Shape(n);
            NDArray[] ours = {m.create(w0), m.zeros(shape), m.zeros(shape)};
            NDArray[] engine = {m.create(w0), m.zeros(shape), m.zeros(shape)};
            FusedAdam fused = new FusedAdam();
            for (int step = 1; step <= 3; step++) {
                float[] g = new float[n];
                for (int i = 0; i < n; i++) {
                    g[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(12) - 8));
                }
                float decay = step == 2 ? 0.99f : 1f;
                float scale = step == 3 ? 0.7f : 1f;
                float lr = 1e-3f * step;
                float eps = 1e-8f * step;
                NDArray grad = m.create(g);
                if (!fused.step(ours[0], grad, ours[1], ours[2], decay, scale, lr, 0.9f, 0.999f, eps)) {
                    return false;
                }
                Adam.engineStep(engine[0], m.create(g), engine[1], engine[2], decay, scale, lr, lr, 0.9f, 0.999f, eps);
            }
            for (int k = 0; k < 3; k++) {
                if (!Arrays.equals(ours[k].toByteArray(), engine[k].toByteArray())) {
                    return false;
                }
            }
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /**
     * One Adam step on {@code weight} in place: {@code decay} multiplies the weight first (AdamW's 1 - lr wd, 1 for
     * none), {@code scale} the gradient (clipping), then the moments and the weight are updated with the
     * bias-corrected {@code lr} and {@code eps} and the gradient is set to zero. Returns false, touching nothing, where
     * an array's memory cannot be updated in place; the caller then uses the engine's update.
     */
    boolean step(NDArray weight, NDArray grad, NDArray m1, NDArray m2, float decay, float scale, float lr, float beta1,
            float beta2, float eps) {
        FloatBuffer wb = EngineMemory.floats(weight);
        FloatBuffer gb = wb == null ? null : EngineMemory.floats(grad);
        FloatBuffer mb = gb == null ? null : EngineMemory.floats(m1);
        FloatBuffer vb = mb == null ? null : EngineMemory.floats(m2);
        int n = wb == null ? -1 : wb.capacity();
        if (vb == null || gb.capacity() != n || mb.capacity() != n || vb.capacity() != n) {
            return false;
        }
        Pointer vp = Native.getDirectBufferPointer(vb);
        int mklThreads = EngineVml.singleThreaded();
        try {
            update(wb, gb, mb, vb, vp, n, decay, scale, lr, beta1, beta2, eps);
        } finally {
            EngineVml.restoreThreads(mklThreads);
        }
        return true;
    }

    private void update(FloatBuffer wb, FloatBuffer gb, FloatBuffer mb, FloatBuffer vb, Pointer vp, int n, float decay,
            float scale, float lr, float beta1, float beta2, float eps) {
        float oneMinusBeta1 = 1f - beta1; // as the engine's JNI code computes them, in float
        float oneMinusBeta2 = 1f - beta2;
        for (int off = 0; off < n; off += BLOCK) {
            int len = Math.min(BLOCK, n - off);
            wb.get(off, w, 0, len);
            gb.get(off, g, 0, len);
            mb.get(off, m, 0, len);
            vb.get(off, v, 0, len);
            for (int i = 0; i < len; i++) {
                float wi = decay == 1f ? w[i] : w[i] * decay;
                float gi = scale == 1f ? g[i] : g[i] * scale;
                gi = Math.fma(wi, 0f, gi); // the engine's add_(weight, weight_decay = 0): keeps its signed zeros
                float mi = Math.fma(gi, oneMinusBeta1, m[i] * beta1);
                v[i] = Math.fma(oneMinusBeta2 * gi, gi, v[i] * beta2);
                m[i] = mi;
                w[i] = wi;
            }
            mb.put(off, m, 0, len);
            vb.put(off, v, 0, len);
            gb.put(off, zeros, 0, len);
            EngineVml.sqrt(vp.share(4L * off), root, len);
            root.read(0, g, 0, len); // g now holds √v
            for (int i = 0; i < len; i++) {
                w[i] = w[i] - (m[i] * lr) / (g[i] + eps);
            }
            wb.put(off, w, 0, len);
        }
    }
}
