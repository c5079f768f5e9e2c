package tracelens.saliency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import tracelens.error.InvalidInputException;

/**
 * ParchGrad's modification of the gradient g (B, C, h, w) reaching a hooked convolution's output (parchgrad.md §3),
 * per sample, given the selected channels H (B, C; 1 selected, 0 not) and L = not H:
 * <ul>
 *   <li>a sample with H or L empty keeps its gradient;</li>
 *   <li>M and N measure the channel-summed gradients of H and L: their unbiased variance over the h x w positions plus
 *       eps, or, on a 1 x 1 map, their absolute value plus eps (eps = 1e-13);</li>
 *   <li>gamma = infinity (the default): g_H is scaled by beta = sqrt((M + N) / M) (1 without variance conservation),
 *       g_L is zeroed, so the channel-summed gradient keeps the total variance M + N;</li>
 *   <li>finite gamma: gamma' = gamma sqrt(N / M); with exact variance, g_H is scaled by gamma' and the whole gradient by
 *       sqrt(s1 / s2), the variance of the channel sum before over after (the original's s1 / s2 with
 *       {@code legacyVarianceRatio}); without it, g_H by gamma' beta and g_L by beta, beta = sqrt((M + N) / (M gamma'^2 + N)).</li>
 * </ul>
 * Computed on the engine for the whole batch at once; the result lands in g's manager.
 */
public final class ChannelGradient {
    public static final double EPS = 1e-13;

    /** gamma: {@code Double.POSITIVE_INFINITY} for the pruning rule. */
    public record Options(boolean varianceConservation, double gamma, boolean exactVariance, boolean legacyVarianceRatio) {
        public Options {
            if (!(gamma > 0)) {
                throw InvalidInputException.field("gamma", " must be positive (or infinite), found " + gamma);
            }
        }

        public static Options defaults() {
            return new Options(true, Double.POSITIVE_INFINITY, true, false);
        }
    }

    private ChannelGradient() {}

    public static NDArray modify(NDArray g, NDArray selected, Options o) {
        Shape s = g.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long hw = s.get(2) * s.get(3);
        NDArray h = selected.toType(g.getDataType(), false).reshape(b, c, 1, 1);
        NDArray l = h.neg().add(1);
        NDArray nh = h.reshape(b, c).sum(new int[] {1});
        NDArray applies = nh.gt(0).logicalAnd(nh.lt(c)).toType(g.getDataType(), false).reshape(b, 1, 1, 1); // H, L both non-empty
        NDArray m = spread(g.mul(h).sum(new int[] {1}), hw);
        NDArray n = spread(g.mul(l).sum(new int[] {1}), hw);
        NDArray out;
        if (Double.isInfinite(o.gamma())) {
            NDArray beta = o.varianceConservation() ? m.add(n).div(m).sqrt() : m.onesLike();
            out = g.mul(h).mul(beta.reshape(b, 1, 1, 1));
        } else {
            NDArray gammaHat = n.div(m).sqrt().mul(o.gamma()).reshape(b, 1, 1, 1);
            if (o.exactVariance()) {
                NDArray scaled = g.mul(h).mul(gammaHat).add(g.mul(l));
                NDArray s1 = spread(g.sum(new int[] {1}), hw);
                NDArray s2 = spread(scaled.sum(new int[] {1}), hw);
                NDArray ratio = s1.div(s2);
                out = scaled.mul((o.legacyVarianceRatio() ? ratio : ratio.sqrt()).reshape(b, 1, 1, 1));
            } else {
                NDArray g2 = gammaHat.reshape(b).square();
                NDArray beta = o.varianceConservation() ? m.add(n).div(m.mul(g2).add(n)).sqrt() : m.onesLike();
                NDArray bb = beta.reshape(b, 1, 1, 1);
                out = g.mul(h).mul(gammaHat).mul(bb).add(g.mul(l).mul(bb));
            }
        }
        return out.mul(applies).add(g.mul(applies.neg().add(1)));
    }

    /** M or N of a channel-summed gradient (B, h, w): unbiased variance over positions, or |value| on a 1 x 1 map; plus eps. */
    private static NDArray spread(NDArray summed, long hw) {
        return (hw == 1 ? summed.reshape(summed.getShape().get(0)).abs() : variance(summed)).add(EPS);
    }

    /** Unbiased variance over the h x w positions of (B, h, w), as torch.var. */
    private static NDArray variance(NDArray x) {
        long b = x.getShape().get(0);
        NDArray flat = x.reshape(b, -1);
        long n = flat.getShape().get(1);
        NDArray centred = flat.sub(flat.mean(new int[] {1}, true));
        return centred.square().sum(new int[] {1}).div(n - 1);
    }
}
