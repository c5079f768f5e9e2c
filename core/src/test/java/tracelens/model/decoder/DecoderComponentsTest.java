package tracelens.model.decoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import tracelens.nn.Autograd;
import tracelens.runtime.DjlRuntime;

/** Hand-computed values for the decoder's parts. */
class DecoderComponentsTest {
    static float[] rotate(int hs, int rot, double theta, long pos, float[] x) {
        try (NDManager m = DjlRuntime.manager()) {
            Rotary r = new Rotary(m, hs, rot, theta);
            NDArray v = m.create(x, new Shape(1, 1, 1, hs));
            return r.apply(v, r.tables(m, new long[] {pos}, 1, 1)).toFloatArray();
        }
    }

    @Test
    void rotaryTurnsHalfPairsByPositionTimesFrequency() {
        // hs = rot = 4, theta = 10000: pairs (x0, x2) at frequency 1 and (x1, x3) at 10000^(-1/2) = 0.01
        float[] y = rotate(4, 4, 10000, 1, new float[] {1, 2, 3, 4});
        double c1 = Math.cos(1), s1 = Math.sin(1), c2 = Math.cos(0.01), s2 = Math.sin(0.01);
        assertThat(y[0]).isCloseTo((float) (1 * c1 - 3 * s1), within(1e-6f));
        assertThat(y[2]).isCloseTo((float) (3 * c1 + 1 * s1), within(1e-6f));
        assertThat(y[1]).isCloseTo((float) (2 * c2 - 4 * s2), within(1e-6f));
        assertThat(y[3]).isCloseTo((float) (4 * c2 + 2 * s2), within(1e-6f));
        assertThat(rotate(4, 4, 10000, 0, new float[] {1, 2, 3, 4})).as("position 0 is the identity").containsExactly(1, 2, 3, 4);
    }

    @Test
    void partialRotaryLeavesTheRestAlone() {
        // hs = 4, rot = 2 (GPT-NeoX rotary_pct 0.5): only (x0, x1) turn, at frequency 1
        float[] y = rotate(4, 2, 10000, 3, new float[] {1, 2, 3, 4});
        assertThat(y[0]).isCloseTo((float) (Math.cos(3) - 2 * Math.sin(3)), within(1e-6f));
        assertThat(y[1]).isCloseTo((float) (2 * Math.cos(3) + Math.sin(3)), within(1e-6f));
        assertThat(y[2]).isEqualTo(3f);
        assertThat(y[3]).isEqualTo(4f);
    }

    @Test
    void rotaryDotProductsDependOnlyOnRelativePosition() {
        float[] q = {0.3f, -1.2f, 0.7f, 2.0f, 0.1f, -0.4f};
        float[] k = {1.1f, 0.5f, -0.3f, 0.9f, 1.7f, -2.2f};
        double d1 = dot(rotate(6, 6, 500, 7, q), rotate(6, 6, 500, 4, k));
        double d2 = dot(rotate(6, 6, 500, 103, q), rotate(6, 6, 500, 100, k));
        assertThat(d1).isCloseTo(d2, within(1e-4));
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    @Test
    void theOnePassRotationGivesTheEnginesBits() {
        // the in-place pass (inference) against the engine's ops (taken where a gradient flows), on random projections:
        // full and partial rotary, several heads, positions far apart, values over many decades
        java.util.Random random = new java.util.Random(7);
        int[][] cases = {{64, 64, 12}, {8, 8, 3}, {16, 4, 2}, {6, 6, 1}};
        for (int[] c : cases) {
            int hs = c[0], rot = c[1], heads = c[2], b = 2, t = 5;
            try (NDManager m = DjlRuntime.manager()) {
                Rotary r = new Rotary(m, hs, rot, 10000);
                long[] positions = new long[b * t];
                float[] x = new float[b * t * heads * hs];
                for (int i = 0; i < positions.length; i++) {
                    positions[i] = random.nextInt(4096);
                }
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(9) - 4));
                }
                Rotary.Tables tables = r.tables(m, positions, b, t);
                Shape shape = new Shape(b, t, heads, hs);
                NDArray viaEngine = m.create(x, shape);
                float[] expected;
                try (Autograd recording = Autograd.record()) {
                    NDArray engineOut = r.apply(viaEngine, tables);
                    assertThat(engineOut).as("a backward pass is recorded: the engine's ops").isNotSameAs(viaEngine);
                    expected = engineOut.toFloatArray();
                }
                NDArray inPlace = m.create(x, shape);
                NDArray rotated = r.apply(inPlace, tables);
                assertThat(rotated).as("rotated where the projection lies").isSameAs(inPlace);
                assertThat(rotated.toFloatArray()).as("hs %d, rot %d, heads %d", hs, rot, heads).containsExactly(expected);
                assertThat(expected).as("the case rotates something").isNotEqualTo(x);
            }
        }
    }

    @Test
    void gradientsFlowThroughTheRotation() {
        // q = x W, a projection as in attention, rotated while a backward pass is recorded: W's gradient must be the
        // rotation's transpose applied to the upstream gradient, as when the rotation is written out in engine ops
        // (an in-place pass the engine does not see would give x^T g, the gradient of the unrotated projection)
        int b = 1, t = 3, heads = 2, hs = 4, c = heads * hs;
        try (NDManager m = DjlRuntime.manager()) {
            java.util.Random random = new java.util.Random(3);
            float[] xs = new float[b * t * c], ws = new float[c * c], gs = new float[b * t * c];
            for (float[] a : new float[][] {xs, ws, gs}) {
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) random.nextGaussian();
                }
            }
            Rotary r = new Rotary(m, hs, hs, 10000);
            Rotary.Tables tables = r.tables(m, new long[] {5, 17, 40}, b, t);
            NDArray x = m.create(xs, new Shape(b * t, c));
            NDArray upstream = m.create(gs, new Shape(b, t, heads, hs));
            NDArray w = m.create(ws, new Shape(c, c));
            w.setRequiresGradient(true);
            try (Autograd recording = Autograd.record()) {
                NDArray q = x.matMul(w).reshape(b, t, heads, hs);
                recording.backward(r.apply(q, tables).mul(upstream).sum());
            }
            float[] gradient = w.getGradient().toFloatArray();
            NDArray reference = m.create(ws, new Shape(c, c));
            reference.setRequiresGradient(true);
            try (Autograd recording = Autograd.record()) {
                NDArray q = x.matMul(reference).reshape(b, t, heads, hs);
                NDArray turned = q.mul(tables.cos()).add(q.matMul(rotateHalf(m, hs)).mul(tables.sin()));
                recording.backward(turned.mul(upstream).sum());
            }
            assertThat(gradient).containsExactly(reference.getGradient().toFloatArray());
            float[] unrotated = x.transpose().matMul(upstream.reshape(b * t, c)).toFloatArray();
            assertThat(gradient).as("not the unrotated projection's gradient").isNotEqualTo(unrotated);
        }
    }

    @Test
    void gradientsThroughAWholeBlockMatchFiniteDifferences() {
        // a random block with rotary, grouped-query heads (4 on 2), RMSNorm and SwiGLU: its recorded backward pass in
        // float32, as training runs it, against central differences of the same block in float64, so an operation the
        // engine does not see (a loop writing a float32 array's memory while a backward pass is recorded) shows up as a
        // wrong gradient
        int c = 16, f = 12, t = 5;
        DecoderConfig config = new DecoderConfig("toy", 32, c, 1, 4, 2, f, 16, DecoderConfig.Norm.RMS, 1e-6f,
                DecoderConfig.Positions.ROTARY, 4, 10000, false, false, DecoderConfig.Mlp.SWIGLU, false, true, 1, 2);
        java.util.Random random = new java.util.Random(5);
        try (NDManager m = DjlRuntime.manager()) {
            long[][] shapes = {{c}, null, {c, c}, null, {8, c}, null, {8, c}, null, {c, c}, null, {c}, null, {f, c}, null, {c, f}, null, {f, c}};
            NDArray[] w64 = new NDArray[shapes.length];
            NDArray[] w32 = new NDArray[shapes.length];
            for (int i = 0; i < shapes.length; i++) {
                if (shapes[i] != null) {
                    boolean gain = i == 0 || i == 10; // the norms' gains, around 1
                    double[] v = gaussian(random, (int) new Shape(shapes[i]).size(), gain ? 0.2 : 0.4);
                    for (int j = 0; gain && j < v.length; j++) {
                        v[j] += 1;
                    }
                    w64[i] = m.create(v, new Shape(shapes[i]));
                    w32[i] = w64[i].toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
                }
            }
            DecoderBlock block64 = new DecoderBlock(config, 0, new Rotary(m, 4, 4, 10000), w64, null);
            DecoderBlock block32 = new DecoderBlock(config, 0, new Rotary(m, 4, 4, 10000), w32, null);
            double[] x0 = gaussian(random, t * c, 1);
            NDArray upstream = m.create(gaussian(random, t * c, 1), new Shape(1, t, c));
            NDArray x = m.create(x0, new Shape(1, t, c)).toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            x.setRequiresGradient(true);
            try (Autograd recording = Autograd.record()) {
                recording.backward(block32.forward(x).mul(upstream.toType(ai.djl.ndarray.types.DataType.FLOAT32, false)).sum());
            }
            float[] gradient = x.getGradient().toFloatArray();
            double h = 1e-6;
            for (int i = 0; i < x0.length; i++) {
                double[] plus = x0.clone();
                double[] minus = x0.clone();
                plus[i] += h;
                minus[i] -= h;
                double numeric = (objective(block64, m, plus, upstream, t, c) - objective(block64, m, minus, upstream, t, c)) / (2 * h);
                assertThat((double) gradient[i]).as("d/dx[%d]", i).isCloseTo(numeric, within(1e-4 * Math.max(1, Math.abs(numeric))));
            }
        }
    }

    private static double objective(DecoderBlock block, NDManager m, double[] x, NDArray upstream, int t, int c) {
        try (NDManager s = m.newSubManager()) {
            return block.forward(s.create(x, new Shape(1, t, c))).mul(upstream).sum().getDouble();
        }
    }

    private static double[] gaussian(java.util.Random random, int n, double scale) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = scale * random.nextGaussian();
        }
        return v;
    }

    private static NDArray rotateHalf(NDManager m, int hs) {
        float[] r = new float[hs * hs];
        for (int i = 0; i < hs / 2; i++) {
            r[(i + hs / 2) * hs + i] = -1f;
            r[i * hs + i + hs / 2] = 1f;
        }
        return m.create(r, new Shape(hs, hs));
    }

    @Test
    void causalMaskHidesTheFutureAndPadding() {
        float min = -Float.MAX_VALUE;
        // one row, one cached key (a left pad) and two new tokens at absolute positions 1 and 2
        float[] bias = Decoder.causalMaskBias(new long[] {0, 1, 1}, 1, 2, 1);
        assertThat(bias).containsExactly(min, 0, min, min, 0, 0);
        // two rows without cache, the second right-padded
        float[] two = Decoder.causalMaskBias(new long[] {1, 1, 1, 0}, 2, 2, 0);
        assertThat(two).containsExactly(0, min, 0, 0, 0, min, 0, min);
    }

    @Test
    void positionsCountRealTokensOnly() {
        assertThat(Decoder.positionsFromMask(new long[] {0, 0, 1, 1, 1, 1, 1, 0}, 2, 4)).containsExactly(0, 0, 0, 1, 0, 1, 2, 0);
    }
}
