package tracelens.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * RMSprop as torch.optim.RMSprop with its defaults (alpha 0.99, eps 1e-8, no momentum, not centred):
 * v = alpha v + (1 - alpha) g^2, p -= lr g / (sqrt(v) + eps).
 */
public final class RmsProp implements Optimizer {
    private static final float ALPHA = 0.99f;
    private static final float EPS = 1e-8f;
    private final List<NDArray> params;
    private final List<NDArray> v = new ArrayList<>();
    private final double clip;
    private int t;

    public RmsProp(NDManager manager, List<NDArray> params, double clip) {
        this.params = params;
        this.clip = clip;
        for (NDArray p : params) {
            v.add(manager.zeros(p.getShape()));
        }
    }

    @Override
    public double step(NDManager scope, double lr) {
        t++;
        Gradients g = Gradients.of(params, scope);
        if (!Double.isFinite(g.norm())) {
            return g.norm();
        }
        float scale = g.clipScale(clip);
        for (int i = 0; i < params.size(); i++) {
            NDArray grad = scale == 1f ? g.grads().get(i) : g.grads().get(i).mul(scale);
            v.get(i).muli(ALPHA).addi(grad.square().muli(1 - ALPHA));
            params.get(i).subi(grad.div(v.get(i).sqrt().addi(EPS)).muli((float) lr));
        }
        g.clear();
        return g.norm();
    }

    @Override
    public int steps() {
        return t;
    }
}
