package tracelens.sip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A source identifier: Linear(in, h1) -> ReLU (or GELU, tanh) -> ... -> Linear(h_last, K), a linear probe when there are no hidden
 * layers. Every Linear starts orthogonal with gain sqrt(2) and zero bias, as the SIP code initialises it. Owns its
 * parameters (close it). Optionally a learnable LayerNorm normalises the input first.
 */
public final class Identifier implements tracelens.nn.Module {
    /** The stage-[3] non-linear probe of the SIP blog: five hidden layers of 256. */
    public static final int[] MLP = {256, 256, 256, 256, 256};
    public static final int[] LINEAR = {};

    /** The hidden layers' activation (sip.md §3): relu (default), gelu (exact erf form) or tanh. */
    public enum Act {
        RELU, GELU, TANH;

        public static Act parse(String s) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "relu" -> RELU;
                case "gelu" -> GELU;
                case "tanh" -> TANH;
                default -> throw tracelens.error.InvalidInputException.field("activation", " must be relu, gelu or tanh, found '" + s + "'");
            };
        }

        NDArray apply(NDArray h) {
            return switch (this) {
                case RELU -> Activation.relu(h);
                case GELU -> Activation.gelu(h);
                case TANH -> Activation.tanh(h);
            };
        }
    }

    private final NDManager manager;
    private final Act act;
    private final List<NDArray> weights = new ArrayList<>(); // [out, in]
    private final List<NDArray> biases = new ArrayList<>();
    private final NDArray gamma; // input LayerNorm, or null
    private final NDArray beta;
    private final int inputs;
    private final int outputs;
    private final tracelens.nn.Parameters params = new tracelens.nn.Parameters();

    public Identifier(NDManager parent, int inputs, int[] hidden, int outputs, long seed) {
        this(parent, inputs, hidden, outputs, seed, false);
    }

    /** With {@code layerNorm}, the input first passes a learnable LayerNorm (gamma 1, beta 0, eps 1e-5; sip.md §3). */
    public Identifier(NDManager parent, int inputs, int[] hidden, int outputs, long seed, boolean layerNorm) {
        this(parent, inputs, hidden, outputs, seed, layerNorm, Act.RELU);
    }

    public Identifier(NDManager parent, int inputs, int[] hidden, int outputs, long seed, boolean layerNorm, Act act) {
        this.act = act;
        this.manager = parent.newSubManager();
        if (layerNorm) {
            gamma = manager.ones(new Shape(inputs));
            beta = manager.zeros(new Shape(inputs));
        } else {
            gamma = null;
            beta = null;
        }
        this.inputs = inputs;
        this.outputs = outputs;
        int in = inputs;
        int[] sizes = java.util.Arrays.copyOf(hidden, hidden.length + 1);
        sizes[hidden.length] = outputs;
        List<float[]> initial = initialWeights(inputs, sizes, seed);
        for (int l = 0; l < sizes.length; l++) {
            int out = sizes[l];
            NDArray w = manager.create(initial.get(l), new Shape(out, in));
            NDArray b = manager.zeros(new Shape(out));
            weights.add(w);
            biases.add(b);
            in = out;
        }
        if (gamma != null) {
            params.add("norm.weight", gamma).add("norm.bias", beta);
        }
        for (int i = 0; i < weights.size(); i++) {
            params.add("layers." + i + ".weight", weights.get(i)).add("layers." + i + ".bias", biases.get(i));
        }
    }

    /**
     * The orthogonal initial weights for these sizes and seed, drawn once per process: they depend on nothing else, and
     * a SIP run builds the same identifier for every layer (each draw is a QR decomposition; 13 layers of the demo
     * spent about 3 s of CPU redrawing them). Callers get the cached arrays, which engine arrays copy.
     */
    private static List<float[]> initialWeights(int inputs, int[] sizes, long seed) {
        String key = inputs + ":" + java.util.Arrays.toString(sizes) + ":" + seed;
        synchronized (INITIAL) {
            List<float[]> hit = INITIAL.get(key);
            if (hit != null) {
                return hit;
            }
        }
        Random random = new Random(seed);
        List<float[]> out = new ArrayList<>();
        int in = inputs;
        for (int size : sizes) {
            out.add(OrthogonalInit.weight(size, in, Math.sqrt(2), random));
            in = size;
        }
        List<float[]> frozen = java.util.Collections.unmodifiableList(out);
        synchronized (INITIAL) {
            INITIAL.put(key, frozen);
        }
        return frozen;
    }

    /** A few recent initialisations (least recently used dropped): a process trains identifiers of a handful of shapes. */
    private static final java.util.Map<String, List<float[]>> INITIAL = new java.util.LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(java.util.Map.Entry<String, List<float[]>> eldest) {
            return size() > 8;
        }
    };

    /** Logits (B, K) for inputs (B, in); the result lands in x's manager. */
    public NDArray forward(NDArray x) {
        NDArray h = gamma == null ? x : LayerNorm.layerNorm(x, new Shape(inputs), gamma, beta, 1e-5f).get(0);
        for (int i = 0; i < weights.size(); i++) {
            h = Linear.linear(h, weights.get(i), biases.get(i)).get(0);
            if (i + 1 < weights.size()) {
                h = act.apply(h);
            }
        }
        return h;
    }

    /**
     * The output of hidden layer {@code index} (0-based) before its activation, (B, width): e.g. the coordinates of a
     * 2-unit bottleneck, read out for a map. Lands in x's manager.
     */
    public NDArray preActivation(NDArray x, int index) {
        if (index < 0 || index >= weights.size() - 1) {
            throw new IllegalArgumentException("hidden layer " + index + " of an identifier with " + (weights.size() - 1));
        }
        NDArray h = gamma == null ? x : LayerNorm.layerNorm(x, new Shape(inputs), gamma, beta, 1e-5f).get(0);
        for (int i = 0; i < index; i++) {
            h = act.apply(Linear.linear(h, weights.get(i), biases.get(i)).get(0));
        }
        return Linear.linear(h, weights.get(index), biases.get(index)).get(0);
    }

    /** The LayerNorm's gamma and beta if any ({@code norm.*}), then weight and bias per layer ({@code layers.<i>.*}). */
    @Override
    public tracelens.nn.Parameters parameters() {
        return params;
    }

    public Act activation() {
        return act;
    }

    public int inputs() {
        return inputs;
    }

    public int outputs() {
        return outputs;
    }

    NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }
}
