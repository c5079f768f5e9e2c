package tracelens.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Backpropagation in which the gradient reaching chosen sites is replaced by a function of that gradient (and of the
 * activation), then propagated on: what PyTorch does with backward hooks, which the engine does not expose. Built on
 * a cut graph (parchgrad.md §4, the efficient version): one forward pass with every rewritten site cut (downstream
 * computation sees a detached leaf); the objective is backpropagated once, then for k = K..1 the adjoint that has
 * accumulated at site k's leaf (from the objective and from the later pieces, residual paths included) is rewritten
 * into g'_k and {@code <o_k, g'_k>} is backpropagated through the piece of graph that produced o_k. Each backward
 * keeps the graph, since a residual path can make the objective's backward run through earlier pieces. About one
 * forward and one backward pass in all, exact for any graph.
 */
public final class GradientRewrite {
    /** A gradient rewrite: (activation, its gradient) -> the gradient that flows on; results in the gradient's scope. */
    public interface Rule extends BiFunction<NDArray, NDArray, NDArray> {}

    private GradientRewrite() {}

    /**
     * Runs {@code forward} (which must pass every site through the hooks it is given and return the scalar objective)
     * once and leaves the rewritten gradients on {@code targets} (inputs, parameters: arrays that require a gradient),
     * added to what they held. Sites are listed in forward order. Temporaries live in a scope under {@code m}.
     */
    public static void backward(NDManager m, List<String> sites, Map<String, Rule> rules, List<NDArray> targets,
            Function<Hooks, NDArray> forward) {
        try (NDManager scope = m.newSubManager(); Autograd recording = Autograd.record()) {
            Hooks hooks = new Hooks(scope);
            sites.forEach(hooks::cut);
            NDArray objective = forward.apply(hooks);
            backwardKeepingGraph(objective);
            for (int k = sites.size() - 1; k >= 0; k--) {
                String site = sites.get(k);
                NDArray adjoint = hooks.cutLeaf(site).getGradient().duplicate();
                adjoint.attach(scope);
                NDArray rewritten = rules.get(site).apply(hooks.cutSource(site).stopGradient(), adjoint);
                backwardKeepingGraph(hooks.cutSource(site).mul(rewritten).sum());
            }
        }
    }

    /** d scalar / d leaves, accumulated into the leaves' gradients, keeping the graph for the next pieces. */
    private static void backwardKeepingGraph(NDArray scalar) {
        Autograd.backward(scalar, true);
    }
}
