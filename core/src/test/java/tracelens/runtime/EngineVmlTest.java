package tracelens.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The engine's vmsSqrt called directly gives the engine's own {@code sqrt} bits, element by element whatever the
 * blocking (so a fused loop may call it on any slice), and those bits are not the correctly rounded square root (the
 * reason the fused Adam calls it rather than Math.sqrt).
 */
class EngineVmlTest {
    @Test
    void sqrtIsTheEnginesSqrtOnAnySlice() {
        assertThat(EngineVml.available()).as("the pinned engine's MKL exports vmsSqrt").isTrue();
        Random r = new Random(3);
        int n = 20_000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextDouble() * Math.pow(10, r.nextInt(60) - 30));
        }
        float[] special = {0f, -0f, Float.MIN_VALUE, 1e-40f, Float.MIN_NORMAL, 1f, 4f, Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, Float.NaN, -1f};
        System.arraycopy(special, 0, x, 0, special.length);
        try (NDManager m = DjlRuntime.manager(); Memory out = new Memory(4L * n)) {
            NDArray a = m.create(x, new Shape(n));
            float[] engine = a.sqrt().toFloatArray();
            Pointer in = Native.getDirectBufferPointer(a.toByteBuffer(true));
            int notCorrectlyRounded = 0;
            for (int block : new int[] {n, 1, 7, 2048, 3001}) {
                out.clear();
                for (int off = 0; off < n; off += block) {
                    EngineVml.sqrt(in.share(4L * off), out.share(4L * off), Math.min(block, n - off));
                }
                float[] got = out.getFloatArray(0, n);
                for (int i = 0; i < n; i++) {
                    assertThat(Float.floatToRawIntBits(got[i])).as("sqrt(%s) at %d in blocks of %d", x[i], i, block)
                            .isEqualTo(Float.floatToRawIntBits(engine[i]));
                }
            }
            for (int i = 0; i < n; i++) {
                if (Float.floatToRawIntBits(engine[i]) != Float.floatToRawIntBits((float) Math.sqrt(x[i]))) {
                    notCorrectlyRounded++;
                }
            }
            assertThat(notCorrectlyRounded).as("the engine's sqrt is MKL's high-accuracy one, not IEEE's").isPositive();
        }
    }
}
