package tracelens.saliency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BiFunction;
import tracelens.cnn.Cnn;
import tracelens.error.InvalidInputException;
import tracelens.nn.GradientRewrite;
import tracelens.nn.Hooks;

/**
 * Attribution maps of a CNN classifier (parchgrad.md §6), each with or without ParchGrad. In every method the backward
 * seed of the logits is one-hot(y) times softmax(z)_y with the probability held constant, so the gradient is
 * p_y grad z_y. With ParchGrad the gradient reaching each hooked convolution is rewritten by {@link ChannelGradient}
 * (through {@link GradientRewrite}'s cut graph), then propagated on to the input.
 */
public final class Saliency {
    public enum Method { GRAD, INPUTGRAD, SMOOTHGRAD, IG;
        public static Method parse(String s) {
            for (Method m : values()) {
                if (m.name().equalsIgnoreCase(s)) {
                    return m;
                }
            }
            throw InvalidInputException.field("method", " must be grad, inputgrad, smoothgrad or ig, found '" + s + "'");
        }
    }

    /** Which channels of a hooked convolution are kept (H): (activation (B, C, h, w), target class) to a (B, C) 0/1 mask. */
    public interface ChannelSelection extends BiFunction<NDArray, Integer, NDArray> {}

    /** ParchGrad's setup: the hooked convolutions (forward order), each one's channel selection, the gradient options. */
    public record ParchGrad(List<String> convolutions, Map<String, ChannelSelection> selection, ChannelGradient.Options options) {
        /** The same selection rule at every hooked convolution. */
        public static ParchGrad same(List<String> convolutions, ChannelSelection rule, ChannelGradient.Options options) {
            Map<String, ChannelSelection> m = new LinkedHashMap<>();
            convolutions.forEach(c -> m.put(c, rule));
            return new ParchGrad(convolutions, m, options);
        }
    }

    /** Copies for SmoothGrad and steps for integrated gradients (the original's 25). */
    public static final int SAMPLES = 25;

    private Saliency() {}

    /**
     * Maps (B, H, W) for normalised images (B, 3, H, W) and targets; {@code parchGrad} null for plain gradients. The
     * noise of SmoothGrad comes from {@code random}.
     */
    public static float[][] maps(NDManager m, Cnn cnn, NDArray images, int[] targets, Method method, ParchGrad parchGrad,
            Random random) {
        long b = images.getShape().get(0);
        long hw = images.getShape().get(2) * images.getShape().get(3);
        float[][] out = new float[(int) b][];
        for (int i = 0; i < b; i++) {
            try (NDManager scope = m.newSubManager()) {
                NDArray x = images.get(i).expandDims(0);
                x.attach(scope);
                NDArray map = switch (method) {
                    case GRAD -> rgbMean(gradient(scope, cnn, x, targets[i], parchGrad).abs());
                    case INPUTGRAD -> rgbMean(x.mul(gradient(scope, cnn, x, targets[i], parchGrad)).abs());
                    case SMOOTHGRAD -> {
                        float sigma = 0.15f * (x.max().getFloat() - x.min().getFloat());
                        float[] noise = new float[(int) (SAMPLES * 3 * hw)];
                        for (int k = 0; k < noise.length; k++) {
                            noise[k] = (float) random.nextGaussian() * sigma;
                        }
                        NDArray noisy = x.repeat(0, SAMPLES).add(scope.create(noise, new Shape(SAMPLES, 3, x.getShape().get(2), x.getShape().get(3))));
                        NDArray g = gradient(scope, cnn, noisy, targets[i], parchGrad).abs(); // each copy its own p_y
                        yield rgbMean(g.mean(new int[] {0}, true));
                    }
                    case IG -> {
                        float[] alphas = new float[SAMPLES + 1];
                        for (int k = 0; k <= SAMPLES; k++) {
                            alphas[k] = (float) k / SAMPLES;
                        }
                        NDArray path = x.repeat(0, SAMPLES + 1).mul(scope.create(alphas, new Shape(SAMPLES + 1, 1, 1, 1)));
                        NDArray g = gradient(scope, cnn, path, targets[i], parchGrad);                 // (26, 3, H, W)
                        NDArray trapezoid = g.get("0:" + SAMPLES).add(g.get("1:")).div(2).mean(new int[] {0}, true);
                        yield rgbMean(x.mul(trapezoid)).abs();                                         // RGB mean before |.|
                    }
                };
                out[i] = map.toFloatArray();
            }
        }
        return out;
    }

    /** Mean over the RGB axis: (N, 3, H, W) to (N, H, W). */
    private static NDArray rgbMean(NDArray x) {
        return x.mean(new int[] {1});
    }

    /** The (modified) gradient of sum_n p_n z_{n, y} with respect to the batch x (N, 3, H, W), p held constant. */
    static NDArray gradient(NDManager scope, Cnn cnn, NDArray x, int target, ParchGrad parchGrad) {
        NDArray input = x.duplicate();
        input.attach(scope);
        input.setRequiresGradient(true);
        java.util.function.Function<Hooks, NDArray> objective = hooks -> {
            NDArray z = cnn.forward(input, hooks);
            int k = (int) z.getShape().get(1);
            if (target < 0 || target >= k) {
                throw InvalidInputException.field("target", " class " + target + " is outside 0.." + (k - 1));
            }
            NDArray zy = z.get(":, " + target);
            NDArray p = z.softmax(1).get(":, " + target).stopGradient();
            return zy.mul(p).sum();
        };
        if (parchGrad == null) {
            try (tracelens.nn.Autograd gc = tracelens.nn.Autograd.record()) {
                gc.backward(objective.apply(Hooks.none(scope)));
            }
        } else {
            Map<String, GradientRewrite.Rule> rules = new LinkedHashMap<>();
            List<String> cuts = new java.util.ArrayList<>();
            // a cut at the stage output before the first hooked convolution gathers every piece's gradient there, so the
            // earlier stages are backpropagated once (residual paths would otherwise take each piece through them)
            String boundary = parchGrad.convolutions().isEmpty() ? null : cnn.boundaryBefore(parchGrad.convolutions().get(0));
            if (boundary != null) {
                cuts.add(boundary);
                rules.put(boundary, (activation, g) -> g);
            }
            for (String conv : parchGrad.convolutions()) {
                cuts.add(conv);
                rules.put(conv, (activation, g) -> ChannelGradient.modify(g, parchGrad.selection().get(conv).apply(activation, target),
                        parchGrad.options()));
            }
            GradientRewrite.backward(scope, cuts, rules, List.of(input), objective);
        }
        NDArray g = input.getGradient().duplicate();
        g.attach(scope);
        input.setRequiresGradient(false);
        return g;
    }
}
