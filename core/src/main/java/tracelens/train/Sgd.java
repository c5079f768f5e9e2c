package tracelens.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/** Plain stochastic gradient descent (torch.optim.SGD without momentum or weight decay): p -= lr g. */
public final class Sgd implements Optimizer {
    private final List<NDArray> params;
    private final double clip;
    private int t;

    public Sgd(List<NDArray> params, double clip) {
        this.params = params;
        this.clip = clip;
    }

    @Override
    public double step(NDManager scope, double lr) {
        t++;
        Gradients g = Gradients.of(params, scope);
        if (!Double.isFinite(g.norm())) {
            return g.norm();
        }
        float rate = (float) lr * g.clipScale(clip);
        for (int i = 0; i < params.size(); i++) {
            params.get(i).subi(g.grads().get(i).mul(rate));
        }
        g.clear();
        return g.norm();
    }

    @Override
    public int steps() {
        return t;
    }
}
