package tracelens.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * Adam (Kingma and Ba, 2015) in PyTorch's update form, with global gradient-norm clipping and optional decoupled
 * weight decay (AdamW, Loshchilov and Hutter, 2019: p -= lr wd p before the Adam step, as torch.optim.AdamW).
 * Weight decay skips 1-D parameters (biases and LayerNorm gains), the usual convention for transformers (Hugging
 * Face's Trainer). The moments live in {@code manager}; gradients are read from the parameters after a backward pass.
 */
public final class Adam implements Optimizer {
    private final List<NDArray> params;
    private final List<NDArray> m1 = new ArrayList<>();
    private final List<NDArray> m2 = new ArrayList<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final double clip;
    private final FusedAdam fused;
    private int t;

    /**
     * Whether updates run in one pass ({@link FusedAdam}: the engine's routine is bound and its self-check held) rather
     * than through the engine's update; the numbers are the same either way. For benchmark logs.
     */
    public static boolean onePass() {
        return FusedAdam.available();
    }

    /** {@code clip} <= 0 disables clipping; {@code weightDecay} 0 gives plain Adam. */
    public Adam(NDManager manager, List<NDArray> params, double weightDecay, double clip) {
        this(manager, params, weightDecay, clip, FusedAdam.available());
    }

    /** {@code fuse} false: always the engine's update (tests compare the two). */
    Adam(NDManager manager, List<NDArray> params, double weightDecay, double clip, boolean fuse) {
        this.params = params;
        this.fused = fuse ? new FusedAdam() : null;
        this.beta1 = 0.9;
        this.beta2 = 0.999;
        this.eps = 1e-8;
        this.weightDecay = weightDecay;
        this.clip = clip;
        for (NDArray p : params) {
            m1.add(manager.zeros(p.getShape()));
            m2.add(manager.zeros(p.getShape()));
        }
    }

    /**
     * One update with learning rate {@code lr} from the gradients now on the parameters; temporaries land in
     * {@code scope}. Returns the global gradient norm before clipping; a non-finite norm leaves the parameters as
     * they were.
     */
    @Override
    public double step(NDManager scope, double lr) {
        t++;
        Gradients gradients = Gradients.of(params, scope);
        List<NDArray> grads = gradients.grads();
        double norm = gradients.norm();
        if (!Double.isFinite(norm)) {
            return norm; // no update from a non-finite gradient: the caller decides (stop with an error)
        }
        float scale = gradients.clipScale(clip);
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        // PyTorch's p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps) is the engine's fused step
        // p -= lr' * m / (sqrt(v) + eps') with lr' = lr sqrt(bc2)/bc1 and eps' = eps sqrt(bc2) (it also applies the
        // clip factor to the gradient); FusedAdam makes the same bits in one pass where it can
        float lrCorrected = (float) (lr * Math.sqrt(bc2) / bc1);
        float epsCorrected = (float) (eps * Math.sqrt(bc2));
        float decay = (float) (1 - lr * weightDecay);
        for (int i = 0; i < params.size(); i++) {
            NDArray p = params.get(i);
            float factor = weightDecay != 0 && p.getShape().dimension() >= 2 ? decay : 1f;
            if (fused == null || !fused.step(p, grads.get(i), m1.get(i), m2.get(i), factor, scale, lrCorrected, (float) beta1,
                    (float) beta2, epsCorrected)) {
                engineStep(p, grads.get(i), m1.get(i), m2.get(i), factor, scale, (float) lr, lrCorrected, (float) beta1,
                        (float) beta2, epsCorrected);
            }
        }
        return norm;
    }

    /**
     * The engine's update of one tensor (DJL's fused {@code adamUpdate}, which also resets the gradient) after AdamW's
     * {@code decay} of the weight (1: none); {@code lr} only matters to the engine's own AdamW form, not used here.
     * FusedAdam's self-check compares itself with this.
     */
    static void engineStep(NDArray p, NDArray grad, NDArray m1, NDArray m2, float decay, float scale, float lr,
            float lrCorrected, float beta1, float beta2, float eps) {
        if (decay != 1f) {
            p.muli(decay);
        }
        p.getNDArrayInternal().adamUpdate(new NDList(p, grad, m1, m2), new NDList(p), lr, lrCorrected, 0f, scale, -1f, beta1,
                beta2, eps, false, false);
    }

    /** The first and second moments of parameter {@code i} (tests compare them). */
    NDArray[] moments(int i) {
        return new NDArray[] {m1.get(i), m2.get(i)};
    }

    @Override
    public int steps() {
        return t;
    }
}
