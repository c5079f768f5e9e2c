package tracelens.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import tracelens.error.InvalidInputException;

/**
 * What a forward pass does at its activation sites. Per site, in this order:
 * <ol>
 *   <li><b>replace</b> the activation (patching): with a function of it, or with a stored tensor of the same shape;</li>
 *   <li><b>gate</b> its gradient: the forward value is unchanged (bit for bit), while the gradient flowing back through
 *       the site is multiplied by a scalar or by a tensor that broadcasts against the activation (a per-sample,
 *       per-channel mask, say). Built as {@code sg(x) + (x - sg(x)) * g}, whose value is x and whose derivative is g;</li>
 *   <li><b>cut</b> the graph (for gradient rewrites that depend on the gradient itself, see {@link GradientRewrite}):
 *       downstream computation sees a detached copy that is a gradient leaf;</li>
 *   <li><b>record</b> what flows on: the array is moved to this object's scope and stays usable after the pass.</li>
 * </ol>
 * A site no action names costs nothing. Recorded arrays belong to the scope given here; replacement functions should
 * take the activation as their first operand so that results land in the pass's own scope (runtime.md's manager trap).
 */
public final class Hooks {
    private final NDManager scope;
    private final Map<String, UnaryOperator<NDArray>> replace = new LinkedHashMap<>();
    private final Map<String, UnaryOperator<NDArray>> gate = new LinkedHashMap<>();
    private final Set<String> record = new LinkedHashSet<>();
    private final Set<String> cut = new LinkedHashSet<>();
    private final Map<String, NDArray> recorded = new LinkedHashMap<>();
    private final Map<String, NDArray[]> cuts = new LinkedHashMap<>();

    /** Recorded activations and cut leaves are attached to {@code scope}. */
    public Hooks(NDManager scope) {
        this.scope = scope;
    }

    /** No action anywhere: the plain forward pass. */
    public static Hooks none(NDManager scope) {
        return new Hooks(scope);
    }

    public Hooks record(String site) {
        record.add(site);
        return this;
    }

    public Hooks replace(String site, UnaryOperator<NDArray> f) {
        put(replace, site, f, "replace");
        return this;
    }

    /** Replaces the activation by {@code value} (copied into the pass's scope; its shape must match). */
    public Hooks replaceWith(String site, NDArray value) {
        return replace(site, x -> {
            if (!x.getShape().equals(value.getShape())) {
                throw new InvalidInputException("site '" + site + "': the replacement has shape " + value.getShape()
                        + ", the activation " + x.getShape());
            }
            NDArray copy = value.duplicate();
            copy.attach(x.getManager());
            return copy;
        });
    }

    /** Multiplies the gradient through {@code site} by {@code factor}. */
    public Hooks gate(String site, float factor) {
        return gate(site, x -> x.getManager().create(factor));
    }

    /** Multiplies the gradient through {@code site} by {@code factorOf(activation)}, which broadcasts against it. */
    public Hooks gate(String site, UnaryOperator<NDArray> factorOf) {
        put(gate, site, factorOf, "gate");
        return this;
    }

    /** Cuts the graph at {@code site}: see {@link #cutLeaf} and {@link #cutSource}. */
    public Hooks cut(String site) {
        cut.add(site);
        return this;
    }

    private static <T> void put(Map<String, T> map, String site, T value, String what) {
        if (map.putIfAbsent(site, value) != null) {
            throw new InvalidInputException("site '" + site + "' already has a " + what + " hook");
        }
    }

    /** Every site some action names. */
    public Set<String> names() {
        Set<String> all = new LinkedHashSet<>(replace.keySet());
        all.addAll(gate.keySet());
        all.addAll(cut);
        all.addAll(record);
        return all;
    }

    /** Whether any action names {@code site}: models skip the call otherwise. */
    public boolean touches(String site) {
        return replace.containsKey(site) || gate.containsKey(site) || record.contains(site) || cut.contains(site);
    }

    /** Called by models at every site; returns what flows on. */
    public NDArray at(String site, NDArray x) {
        if (!touches(site)) {
            return x;
        }
        UnaryOperator<NDArray> r = replace.get(site);
        if (r != null) {
            x = r.apply(x);
        }
        UnaryOperator<NDArray> g = gate.get(site);
        if (g != null) {
            NDArray frozen = x.stopGradient();
            x = frozen.add(x.sub(frozen).mul(g.apply(x)));
        }
        if (cut.contains(site)) {
            NDArray leaf = x.stopGradient();
            leaf.attach(scope);
            leaf.setRequiresGradient(true);
            x.attach(scope);
            cuts.put(site, new NDArray[] {x, leaf});
            x = leaf;
        }
        if (record.contains(site)) {
            x.attach(scope);
            recorded.put(site, x);
        }
        return x;
    }

    /** The activation recorded at {@code site} in the last pass. */
    public NDArray recorded(String site) {
        NDArray x = recorded.get(site);
        if (x == null) {
            throw new IllegalStateException("nothing was recorded at '" + site + "'" + (record.contains(site)
                    ? ": the forward pass did not reach it" : ": record(\"" + site + "\") was not asked for"));
        }
        return x;
    }

    /** Everything recorded in the last pass, by site, in forward order. */
    public Map<String, NDArray> recordings() {
        return java.util.Collections.unmodifiableMap(recorded);
    }

    /** The detached leaf that downstream computation saw at a cut site (its gradient is the adjoint there). */
    public NDArray cutLeaf(String site) {
        return cutPair(site)[1];
    }

    /** The activation at a cut site, still connected to everything upstream. */
    public NDArray cutSource(String site) {
        return cutPair(site)[0];
    }

    private NDArray[] cutPair(String site) {
        NDArray[] pair = cuts.get(site);
        if (pair == null) {
            throw new IllegalStateException("site '" + site + "' was not cut in the last pass");
        }
        return pair;
    }

    public NDManager scope() {
        return scope;
    }
}
