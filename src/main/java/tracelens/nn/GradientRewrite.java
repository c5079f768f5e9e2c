package tracelens.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Backpropagation in which the gradient reaching chosen sites is replaced by a function of that gradient (and of the
 * activation), then propagated on: what PyTorch does with backward hooks, which the engine does not expose. Built on
 * cut graphs (parchgrad.md §4, the simple version): with every rewritten site cut, pass k (k = K..1) backpropagates
 * {@code objective + sum_{j > k} <o_j, g'_j>} to read the adjoint at the leaf of site k and rewrite it into g'_k; a
 * last pass backpropagates {@code objective + sum_j <o_j, g'_j>} to the inputs and parameters. K + 1 forward and
 * backward passes, exact for any graph (residual paths included).
 */
public final class GradientRewrite {
    /** A gradient rewrite: (activation, its gradient) -> the gradient that flows on; results in the gradient's scope. */
    public interface Rule extends BiFunction<NDArray, NDArray, NDArray> {}

    private GradientRewrite() {}

    /**
     * Runs {@code forward} (which must pass every site through the hooks it is given and return the scalar objective)
     * K + 1 times and leaves the rewritten gradients on {@code targets} (inputs, parameters: arrays that require a
     * gradient); the earlier passes' contributions to them are cleared before the last. Sites are listed in forward order.
     * Temporaries live in scopes under {@code m}.
     */
    public static void backward(NDManager m, List<String> sites, Map<String, Rule> rules, List<NDArray> targets,
            Function<Hooks, NDArray> forward) {
        Map<String, NDArray> rewritten = new HashMap<>();
        List<NDManager> keep = new ArrayList<>(); // the rewritten gradients live until the last pass
        try {
            for (int k = sites.size(); k >= 0; k--) {
                NDManager scope = m.newSubManager();
                boolean last = k == 0;
                if (last) {
                    for (NDArray t : targets) { // the engine accumulates gradients over backward passes
                        NDArray g = t.getGradient();
                        g.subi(g);
                        g.close();
                    }
                }
                Hooks hooks = new Hooks(scope);
                sites.forEach(hooks::cut);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray total = forward.apply(hooks);
                    for (Map.Entry<String, NDArray> e : rewritten.entrySet()) {
                        total = total.add(hooks.cutSource(e.getKey()).mul(e.getValue()).sum());
                    }
                    gc.backward(total);
                    if (!last) {
                        String site = sites.get(k - 1);
                        NDArray g = hooks.cutLeaf(site).getGradient().duplicate();
                        NDArray r = rules.get(site).apply(hooks.cutSource(site).stopGradient(), g);
                        NDManager held = m.newSubManager();
                        r.attach(held);
                        keep.add(held);
                        rewritten.put(site, r);
                    }
                }
                if (!last) {
                    scope.close();
                } else {
                    keep.add(scope);
                }
            }
        } finally {
            keep.forEach(NDManager::close);
        }
    }
}
