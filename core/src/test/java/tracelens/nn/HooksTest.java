package tracelens.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tracelens.error.InvalidInputException;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.model.decoder.Decoder;
import tracelens.model.decoder.DecoderBlock;
import tracelens.runtime.DjlRuntime;
import tracelens.testing.SharedFiles;

/** Evidence that the hook sites do what they say, on the real MiniLM and stories260K. */
class HooksTest {
    static HiddenStateModel minilm;
    static Decoder stories;

    @BeforeAll
    static void load() {
        minilm = ModelLoader.load(ModelLoader.MINILM);
        stories = (Decoder) ModelLoader.load(SharedFiles.stories260K().toString());
    }

    @AfterAll
    static void close() {
        minilm.close();
        stories.close();
    }

    static TokenBatch batch(HiddenStateModel m, String... texts) {
        TextTokenizer tok = m.tokenizer();
        return TokenBatch.of(java.util.Arrays.stream(texts).map(t -> tok.encode(t, 64)).toList(), tok.padId(), m.padLeft());
    }

    @Test
    void sitesAreListedInForwardOrderWithTheirShapes() {
        List<Site> sites = stories.sites();
        assertThat(sites).hasSize(1 + 3 * 5 + 1);
        assertThat(sites.get(0).name()).isEqualTo("embed");
        assertThat(sites.get(3).name()).isEqualTo("blocks.0.resid_post");
        assertThat(sites.get(sites.size() - 1).name()).isEqualTo("final_norm");
        assertThat(sites.get(1).shapeText()).isEqualTo("(B, T, 64)");
        assertThat(minilm.sites()).hasSize(1 + 3 * 6);
        assertThat(minilm.hiddenStateSite(6)).isEqualTo("blocks.5.resid_post");
        assertThat(stories.hiddenStateSite(5)).isEqualTo("final_norm");
        assertThatThrownBy(() -> stories.site("blocks.9.mlp_out")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("no site 'blocks.9.mlp_out'").hasMessageContaining("blocks.0.attn_out");
    }

    /** Replacing every site's activation with itself changes no bit of any hidden state. */
    @Test
    void replaceWithItselfChangesNothingBitForBit() {
        for (HiddenStateModel m : List.of(minilm, stories)) {
            TokenBatch b = batch(m, "The cat sat on the mat.", "Once upon a time there was a little dog");
            int[] all = java.util.stream.IntStream.rangeClosed(0, m.numLayers()).toArray();
            try (NDManager scope = DjlRuntime.manager()) {
                var plain = m.hiddenStates(scope, b, all);
                Hooks hooks = new Hooks(scope);
                for (Site s : m.sites()) {
                    hooks.replace(s.name(), x -> x);
                }
                for (int l : all) {
                    hooks.record(m.hiddenStateSite(l));
                }
                m.forward(scope, b, hooks);
                for (int l : all) {
                    assertThat(hooks.recorded(m.hiddenStateSite(l)).toFloatArray()).as(m.id() + " layer " + l)
                            .containsExactly(plain.get(l).toFloatArray());
                }
            }
        }
    }

    /**
     * Activation patching: run a clean and a corrupted prompt, patch the corrupted run's last-block MLP output with the
     * clean one, and the final norm must be RMSNorm(resid_post_corrupt - mlp_corrupt + mlp_clean) * g, computed here by
     * hand in double from the recorded activations.
     */
    @Test
    void patchingOneSiteReproducesTheHandComputedResult() {
        String mlp = "blocks.4.mlp_out";
        String resid = "blocks.4.resid_post";
        try (NDManager scope = DjlRuntime.manager()) {
            TokenBatch clean = batch(stories, "Once upon a time there was a cat");
            TokenBatch corrupt = batch(stories, "Once upon a time there was a dog");
            assertThat(corrupt.width()).isEqualTo(clean.width());
            Hooks c = new Hooks(scope).record(mlp);
            stories.forward(scope, clean, c);
            Hooks k = new Hooks(scope).record(mlp).record(resid);
            stories.forward(scope, corrupt, k);
            Hooks patched = new Hooks(scope).replaceWith(mlp, c.recorded(mlp)).record("final_norm");
            stories.forward(scope, corrupt, patched);

            float[] resCorrupt = k.recorded(resid).toFloatArray();
            float[] mlpCorrupt = k.recorded(mlp).toFloatArray();
            float[] mlpClean = c.recorded(mlp).toFloatArray();
            float[] g = stories.parameters().get("norm.weight").toFloatArray();
            float[] got = patched.recorded("final_norm").toFloatArray();
            int d = g.length;
            double eps = stories.config().normEps();
            for (int t = 0; t < resCorrupt.length / d; t++) {
                double[] h = new double[d];
                double ms = 0;
                for (int i = 0; i < d; i++) {
                    h[i] = (double) resCorrupt[t * d + i] - mlpCorrupt[t * d + i] + mlpClean[t * d + i];
                    ms += h[i] * h[i] / d;
                }
                for (int i = 0; i < d; i++) {
                    assertThat((double) got[t * d + i]).as("position %d feature %d", t, i)
                            .isCloseTo(h[i] / Math.sqrt(ms + eps) * g[i], within(2e-5));
                }
            }
            // the patch changed the output where the texts differ ("cat" vs "dog")
            Hooks unpatched = new Hooks(scope).record("final_norm");
            stories.forward(scope, corrupt, unpatched);
            assertThat(unpatched.recorded("final_norm").toFloatArray()).isNotEqualTo(got);
        }
    }

    /** Patching the whole residual stream after block 0 makes everything downstream equal the clean run exactly. */
    @Test
    void patchingTheResidualStreamRestoresTheCleanRunExactly() {
        try (NDManager scope = DjlRuntime.manager()) {
            TokenBatch clean = batch(stories, "Once upon a time there was a cat");
            TokenBatch corrupt = batch(stories, "Once upon a time there was a dog");
            Hooks c = new Hooks(scope).record("blocks.0.resid_post").record("final_norm");
            stories.forward(scope, clean, c);
            Hooks p = new Hooks(scope).replaceWith("blocks.0.resid_post", c.recorded("blocks.0.resid_post")).record("final_norm");
            stories.forward(scope, corrupt, p);
            assertThat(p.recorded("final_norm").toFloatArray()).containsExactly(c.recorded("final_norm").toFloatArray());
        }
    }

    /** The gradient of sum(probe * final_norm) with respect to every parameter, under the given hooks. */
    static Map<String, float[]> gradients(Decoder m, NDManager scope, TokenBatch b, NDArray probe, java.util.function.Consumer<Hooks> setup) {
        Parameters params = m.parameters();
        params.all().forEach(p -> p.setRequiresGradient(true));
        try (NDManager s = scope.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Hooks hooks = new Hooks(s).record("final_norm");
            setup.accept(hooks);
            m.forward(s, b, hooks);
            gc.backward(hooks.recorded("final_norm").mul(probe).sum());
            Map<String, float[]> out = new java.util.LinkedHashMap<>();
            params.asMap().forEach((n, p) -> {
                NDArray g = p.getGradient();
                out.put(n, g.toFloatArray());
                g.subi(g); // the engine accumulates across backward passes
            });
            return out;
        } finally {
            params.all().forEach(p -> p.setRequiresGradient(false));
        }
    }

    @Test
    void aGradientGateOfZeroSilencesExactlyWhatLiesUpstream() {
        try (NDManager scope = DjlRuntime.manager()) {
            TokenBatch b = batch(stories, "Once upon a time", "The sun was");
            NDArray probe = scope.create(gaussian(new Random(5), b.batch() * b.width() * 64), new Shape(b.batch(), b.width(), 64));
            Map<String, float[]> plain = gradients(stories, scope, b, probe, h -> {});
            Map<String, float[]> gated = gradients(stories, scope, b, probe, h -> h.gate("blocks.2.resid_post", 0f));
            Map<String, float[]> doubled = gradients(stories, scope, b, probe, h -> h.gate("blocks.2.resid_post", 2f));
            for (String name : plain.keySet()) {
                boolean upstream = name.equals("tok_embeddings") || name.startsWith("layers.0.") || name.startsWith("layers.1.")
                        || name.startsWith("layers.2.");
                float[] p = plain.get(name);
                if (upstream) {
                    assertThat(gated.get(name)).as(name).containsOnly(0f);
                    assertThat(maxAbs(p)).as(name).isGreaterThan(0);
                    for (int i = 0; i < p.length; i++) {
                        assertThat((double) doubled.get(name)[i]).as(name).isCloseTo(2.0 * p[i], within(1e-5 + 1e-5 * Math.abs(p[i])));
                    }
                } else {
                    assertThat(gated.get(name)).as(name).containsExactly(p);
                    assertThat(doubled.get(name)).as(name).containsExactly(p);
                }
            }
        }
    }

    /**
     * A gate of 2 doubles the gradient at the embeddings, while the function itself, and so its finite differences,
     * stay the same: the gated analytic directional derivative is twice the numeric one.
     */
    @Test
    void aGradientGateOfTwoDoublesTheGradientAgainstFiniteDifferences() {
        try (NDManager scope = DjlRuntime.manager()) {
            TokenBatch b = batch(stories, "Once upon a time");
            Random r = new Random(11);
            Shape shape = new Shape(1, b.width(), 64);
            NDArray probe = scope.create(gaussian(r, (int) shape.size()), shape);
            NDArray dir = scope.create(gaussian(r, (int) shape.size()), shape);
            dir = dir.div(dir.norm());
            double[] analytic = new double[2];
            for (int k = 0; k < 2; k++) {
                float factor = k == 0 ? 1f : 2f;
                try (NDManager s = scope.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    Hooks hooks = new Hooks(s).cut("embed").gate("blocks.1.resid_post", factor).record("final_norm");
                    stories.forward(s, b, hooks);
                    gc.backward(hooks.recorded("final_norm").mul(probe).sum());
                    analytic[k] = hooks.cutLeaf("embed").getGradient().mul(dir).sum().getFloat();
                }
            }
            float h = 1e-2f;
            double plus = objective(scope, b, probe, dir, h);
            double minus = objective(scope, b, probe, dir, -h);
            double numeric = (plus - minus) / (2 * h);
            assertThat(Math.abs(numeric)).isGreaterThan(1e-2);
            assertThat(analytic[0]).isCloseTo(numeric, within(2e-2 * Math.abs(numeric)));
            assertThat(analytic[1]).isCloseTo(2 * numeric, within(4e-2 * Math.abs(numeric)));
        }
    }

    private static double objective(NDManager scope, TokenBatch b, NDArray probe, NDArray dir, float h) {
        try (NDManager s = scope.newSubManager()) {
            Hooks hooks = new Hooks(s).replace("embed", x -> x.add(dir.mul(h))).record("final_norm");
            stories.forward(s, b, hooks);
            return hooks.recorded("final_norm").mul(probe).sum().getFloat();
        }
    }

    /** A gradient rewrite g -> 2g equals a gate of 2; g -> 0 equals a gate of 0 (through residual paths too). */
    @Test
    void gradientRewritesAgreeWithGates() {
        try (NDManager scope = DjlRuntime.manager()) {
            TokenBatch b = batch(stories, "Once upon a time", "The sun was");
            NDArray probe = scope.create(gaussian(new Random(7), b.batch() * b.width() * 64), new Shape(b.batch(), b.width(), 64));
            Map<String, float[]> gated = gradients(stories, scope, b, probe,
                    h -> h.gate("blocks.1.mlp_out", 2f).gate("blocks.3.attn_out", 0f));
            Parameters params = stories.parameters();
            params.all().forEach(p -> p.setRequiresGradient(true));
            try {
                GradientRewrite.backward(scope, List.of("blocks.1.mlp_out", "blocks.3.attn_out"),
                        Map.of("blocks.1.mlp_out", (x, g) -> g.mul(2f), "blocks.3.attn_out", (x, g) -> g.zerosLike()),
                        params.all(), hooks -> {
                            hooks.record("final_norm");
                            stories.forward(hooks.scope(), b, hooks);
                            return hooks.recorded("final_norm").mul(probe).sum();
                        });
                params.asMap().forEach((n, p) -> {
                    NDArray g = p.getGradient();
                    float[] got = g.toFloatArray();
                    float[] want = gated.get(n);
                    for (int i = 0; i < got.length; i++) {
                        assertThat((double) got[i]).as(n + "[" + i + "]").isCloseTo(want[i], within(1e-5 + 1e-4 * Math.abs(want[i])));
                    }
                    g.subi(g);
                });
            } finally {
                params.all().forEach(p -> p.setRequiresGradient(false));
            }
        }
    }

    /** A block taken out of the model, run alone on a (B, T, C) input, gives the next hidden state, and passes gradients. */
    @Test
    void aDecoderBlockRunsOnItsOwnWithGradientsToItsInput() {
        try (NDManager scope = DjlRuntime.manager()) {
            TokenBatch b = batch(stories, "Once upon a time there was");
            Hooks hooks = new Hooks(scope).record("blocks.1.resid_post").record("blocks.2.resid_post");
            stories.forward(scope, b, hooks);
            DecoderBlock block = stories.block(2);
            assertThat(block.parameters().trainable()).isEmpty(); // frozen
            NDArray in = hooks.recorded("blocks.1.resid_post").duplicate();
            in.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray out = block.forward(in);
                float[] want = hooks.recorded("blocks.2.resid_post").toFloatArray();
                float[] got = out.toFloatArray();
                for (int i = 0; i < got.length; i++) {
                    assertThat((double) got[i]).isCloseTo(want[i], within(1e-5));
                }
                gc.backward(out.sum());
            }
            assertThat(maxAbs(in.getGradient().toFloatArray())).isGreaterThan(0);
            assertThatThrownBy(() -> stories.block(5)).isInstanceOf(InvalidInputException.class).hasMessageContaining("0..4");
        }
    }

    static float[] gaussian(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    static double maxAbs(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
