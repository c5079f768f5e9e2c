package tracelens.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tracelens.nn.Autograd;
import tracelens.runtime.DjlRuntime;

/**
 * The one-pass Adam gives the engine's update bit for bit: weights, both moments and the zeroed gradient, over many
 * steps, with and without clipping and decoupled weight decay, on sizes that end inside and at the edge of a block
 * and of the engine's vector loops, with gradients over 24 orders of magnitude and signed zeros. Where the engine
 * would lend a copy (a non-contiguous view) it declines and the engine's update runs.
 */
class FusedAdamTest {
    private static final int[][] SHAPES = {{1}, {7}, {16}, {17}, {33}, {100}, {2047}, {2048}, {2049}, {40, 125}, {384, 256}};

    @Test
    void sameBitsAsTheEnginesUpdate() {
        assertThat(FusedAdam.available()).as("the one-pass update is on: the engine's vmsSqrt bound and the self-check"
                + " passed, as with ATen's AVX2 and AVX-512 kernels (every processor this project runs on)").isTrue();
        for (double weightDecay : new double[] {0, 0.01}) {
            for (double clip : new double[] {0, 1.0}) {
                compare(weightDecay, clip);
            }
        }
    }

    private static void compare(double weightDecay, double clip) {
        Random r = new Random(11);
        try (NDManager m = DjlRuntime.manager()) {
            List<NDArray> fusedParams = new ArrayList<>();
            List<NDArray> engineParams = new ArrayList<>();
            for (int[] s : SHAPES) {
                NDArray p = m.randomNormal(new Shape(java.util.Arrays.stream(s).asLongStream().toArray()));
                fusedParams.add(p);
                engineParams.add(p.duplicate());
            }
            for (List<NDArray> ps : List.of(fusedParams, engineParams)) {
                ps.forEach(p -> p.setRequiresGradient(true));
            }
            Adam fused = new Adam(m, fusedParams, weightDecay, clip, true);
            Adam engine = new Adam(m, engineParams, weightDecay, clip, false);
            for (int step = 0; step < 30; step++) {
                List<float[]> grads = new ArrayList<>();
                for (NDArray p : fusedParams) {
                    float[] g = new float[(int) p.size()];
                    double scale = Math.pow(10, r.nextInt(24) - 16);
                    for (int i = 0; i < g.length; i++) {
                        int kind = r.nextInt(50);
                        g[i] = kind == 0 ? 0f : kind == 1 ? -0f : (float) (r.nextGaussian() * scale);
                    }
                    grads.add(g);
                }
                double lr = 1e-3 * (1 + step % 3);
                try (NDManager scope = m.newSubManager()) {
                    backward(scope, fusedParams, grads);
                    double a = fused.step(scope, lr);
                    backward(scope, engineParams, grads);
                    double b = engine.step(scope, lr);
                    assertThat(a).isEqualTo(b);
                }
                for (int k = 0; k < fusedParams.size(); k++) {
                    float[] x = fusedParams.get(k).toFloatArray();
                    float[] y = engineParams.get(k).toFloatArray();
                    for (int i = 0; i < x.length; i++) {
                        assertThat(Float.floatToRawIntBits(x[i])).as("wd %s clip %s step %d tensor %d element %d: %s vs %s",
                                weightDecay, clip, step, k, i, x[i], y[i]).isEqualTo(Float.floatToRawIntBits(y[i]));
                    }
                    assertThat(fusedParams.get(k).getGradient().toFloatArray()).containsOnly(0f);
                }
            }
            for (int k = 0; k < fusedParams.size(); k++) {
                assertThat(fused.moments(k)[0].toFloatArray()).isEqualTo(engine.moments(k)[0].toFloatArray());
                assertThat(fused.moments(k)[1].toFloatArray()).isEqualTo(engine.moments(k)[1].toFloatArray());
            }
        }
    }

    /** Sets each parameter's gradient to the given values: backward of sum(p * g). */
    private static void backward(NDManager scope, List<NDArray> params, List<float[]> grads) {
        try (Autograd gc = Autograd.record()) {
            NDArray total = null;
            for (int k = 0; k < params.size(); k++) {
                NDArray p = params.get(k);
                NDArray term = p.mul(scope.create(grads.get(k), p.getShape())).sum();
                total = total == null ? term : total.add(term);
            }
            gc.backward(total);
        }
    }

    /**
     * Under ATen's portable kernels (TRACELENS_CROSS_CPU sets ATEN_CPU_CAPABILITY=default) the engine's update rounds
     * its multiply-adds twice, so the self-check fails and the engine's update runs: checked in a child JVM.
     */
    @Test
    void theSelfCheckDeclinesWhereTheEnginesKernelsDiffer() throws Exception {
        assertThat(availableInChildJvm(java.util.Map.of())).isEqualTo("available true");
        assertThat(availableInChildJvm(java.util.Map.of("ATEN_CPU_CAPABILITY", "default"))).isEqualTo("available false");
    }

    private static String availableInChildJvm(java.util.Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m"));
        for (String p : List.of("ai.djl.offline", "ENGINE_CACHE_DIR", "tracelens.cache")) {
            if (System.getProperty(p) != null) {
                cmd.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), FusedAdamTest.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().remove("ATEN_CPU_CAPABILITY");
        pb.environment().putAll(env);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        return out.lines().filter(l -> l.startsWith("available ")).findFirst().orElse(out);
    }

    /** The child JVM of {@link #theSelfCheckDeclinesWhereTheEnginesKernelsDiffer}. */
    public static void main(String[] args) {
        System.out.println("available " + FusedAdam.available());
    }

    @Test
    void declinesAViewTheEngineWouldCopy() {
        try (NDManager m = DjlRuntime.manager()) {
            NDArray base = m.randomNormal(new Shape(8, 5));
            NDArray view = base.transpose(); // non-contiguous: the engine hands over a copy of its memory
            NDArray grad = m.ones(new Shape(5, 8));
            NDArray m1 = m.zeros(new Shape(5, 8));
            NDArray m2 = m.zeros(new Shape(5, 8));
            float[] before = base.toFloatArray();
            assertThat(new FusedAdam().step(view, grad, m1, m2, 1f, 1f, 1e-3f, 0.9f, 0.999f, 1e-8f)).isFalse();
            assertThat(base.toFloatArray()).isEqualTo(before);
            assertThat(grad.toFloatArray()).containsOnly(1f);
            assertThat(m1.toFloatArray()).containsOnly(0f);
            NDArray contiguous = m.randomNormal(new Shape(5, 8));
            assertThat(new FusedAdam().step(contiguous, grad, m1, m2, 1f, 1f, 1e-3f, 0.9f, 0.999f, 1e-8f)).isTrue();
            assertThat(grad.toFloatArray()).containsOnly(0f);
            assertThat(m1.toFloatArray()).containsOnly(1f - 0.9f); // (1 - beta1) g with g = 1, in float as the engine computes it
        }
    }
}
