package tracelens.sip;

import ai.djl.ndarray.NDArray;

/**
 * Binary cross-entropy with logits, averaged over all B x K entries, in the numerically stable form
 * max(z, 0) - z y + log(1 + exp(-|z|)) (the engine has no log1p; the argument is at most 2, so the plain log is
 * accurate). With one-hot targets this is SIP's default loss: it stays trainable for hundreds of sources.
 */
public final class BceLoss {
    private BceLoss() {}

    public static NDArray mean(NDArray logits, NDArray targets) {
        NDArray softplus = logits.abs().neg().exp().add(1f).log();
        return logits.maximum(0f).sub(logits.mul(targets)).add(softplus).mean();
    }

    /** The same in double precision on plain arrays (tests, reporting). */
    public static double value(double z, double y) {
        return Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
    }
}
