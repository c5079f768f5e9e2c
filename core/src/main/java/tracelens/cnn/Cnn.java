package tracelens.cnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.norm.BatchNorm;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import tracelens.error.InvalidInputException;
import tracelens.model.TensorStore;
import tracelens.nn.HookedModel;
import tracelens.nn.Hooks;
import tracelens.nn.Module;
import tracelens.nn.Parameters;
import tracelens.nn.Site;

/**
 * A CNN classifier (inference mode unless {@link #setTraining}): {@link #forward} maps images (B, 3, H, W), already normalised, to logits (B, K), passing every
 * convolution output through the hooks. Weights are read by torchvision state-dict name; each is checked against the
 * shape the architecture needs at that point, and a missing or mis-shaped tensor fails naming it. The sites are listed
 * by running the architecture once on a small input at load time (which is also the shape check).
 */
public abstract class Cnn implements Module, HookedModel {
    public enum Arch {
        RESNET18("resnet18"), VGG16_BN("vgg16_bn"), EFFICIENTNET_B0("efficientnet_b0");

        public final String id;

        Arch(String id) {
            this.id = id;
        }

        public static Arch parse(String s) {
            for (Arch a : values()) {
                if (a.id.equalsIgnoreCase(s)) {
                    return a;
                }
            }
            throw InvalidInputException.field("arch", " must be resnet18, vgg16_bn or efficientnet_b0, found '" + s + "'");
        }
    }

    private final TensorStore store;
    private final NDManager weights;
    private final Map<String, NDArray> loaded = new java.util.LinkedHashMap<>();
    private final Parameters params = new Parameters();
    private final List<Site> sites = new ArrayList<>();
    private final List<String> convs = new ArrayList<>();
    private boolean listing;
    private boolean training;
    private int classes = -1;

    protected Cnn(TensorStore store, NDManager weights) {
        this.store = store;
        this.weights = weights;
    }

    /** Runs once on a small input to load and check every tensor and list the sites. */
    protected final void init(int probeSize) {
        listing = true;
        try (NDManager scope = weights.newSubManager()) {
            NDArray probe = scope.zeros(new Shape(1, 3, probeSize, probeSize));
            classes = (int) forward(probe, Hooks.none(scope)).getShape().get(1);
        } finally {
            listing = false;
        }
    }

    public abstract Arch arch();

    /** Logits (B, K) of normalised images (B, 3, H, W); results land in the images' manager. */
    public NDArray forward(NDArray images, Hooks hooks) {
        return linear(headName(), features(images, hooks));
    }

    /**
     * The penultimate features (B, d): the input of the final linear layer, the space in which radioactive marks are
     * placed and detected (ResNet: the pooled 512 channels; VGG: the second classifier layer; EfficientNet: pooled).
     */
    public abstract NDArray features(NDArray images, Hooks hooks);

    /** The final linear layer's name; its weight (K, d) is the classifier that radioactive detection tests. */
    public abstract String headName();

    /** The final linear layer's weight (K, d), as floats. */
    public float[][] headWeight() {
        NDArray w = tensor(headName() + ".weight", true, -1, -1);
        int k = (int) w.getShape().get(0);
        int d = (int) w.getShape().get(1);
        float[] flat = w.toFloatArray();
        float[][] out = new float[k][d];
        for (int i = 0; i < k; i++) {
            System.arraycopy(flat, i * d, out[i], 0, d);
        }
        return out;
    }

    public int numClasses() {
        return classes;
    }

    @Override
    public List<Site> sites() {
        return sites;
    }

    /** The convolution sites' names in module registration order (torchvision's {@code model.modules()} order). */
    public List<String> convolutions() {
        return convs;
    }

    /**
     * The latest stage-output site that every path to {@code site} passes through (the input of the stage holding it),
     * or null: cutting there lets a gradient rewrite backpropagate through the earlier stages once.
     */
    public String boundaryBefore(String site) {
        int at = -1;
        for (int i = 0; i < sites.size(); i++) {
            if (sites.get(i).name().equals(site)) {
                at = i;
            }
        }
        String found = null;
        for (int i = 0; i < at; i++) {
            if (!convs.contains(sites.get(i).name())) {
                found = sites.get(i).name();
            }
        }
        return found;
    }

    /** A stage output (every later computation depends on the input only through it), passed through the hooks. */
    protected NDArray stage(String name, NDArray x, Hooks hooks) {
        if (listing) {
            sites.add(new Site(name, "stage output (" + x.getShape().get(1) + " channels)",
                    new long[] {-1, x.getShape().get(1), -1, -1}, new String[] {"B", "C", "H", "W"}));
        }
        return hooks.at(name, x);
    }

    @Override
    public Parameters parameters() {
        return params;
    }

    /** Every tensor the architecture read (parameters and batch-norm statistics), by state-dict name, in load order. */
    public Map<String, NDArray> stateDict() {
        return java.util.Collections.unmodifiableMap(loaded);
    }

    /** Writes the state dict as safetensors in the torchvision layout (what {@link CnnLoader} reads back). */
    public void save(java.nio.file.Path file, Map<String, String> metadata) {
        tracelens.model.SafeTensorsWriter.writeArrays(file, loaded, metadata);
    }

    @Override
    public void close() {
        weights.close();
        store.close();
    }

    // ---- layers ----

    protected boolean has(String name) {
        return store.contains(name);
    }

    /** A weight with the expected shape; -1 in {@code shape} accepts any size. */
    protected NDArray tensor(String name, boolean parameter, long... shape) {
        NDArray t = loaded.get(name);
        if (t == null) {
            if (!store.contains(name)) {
                throw new InvalidInputException(store.describe() + ": tensor '" + name + "' is missing (a weights file for another"
                        + " architecture than " + arch().id + "?)");
            }
            long[] actual = store.shape(name);
            boolean ok = actual.length == shape.length;
            for (int i = 0; ok && i < shape.length; i++) {
                ok = shape[i] < 0 || shape[i] == actual[i];
            }
            if (!ok) {
                throw new InvalidInputException(store.describe() + ": tensor '" + name + "' has shape " + Arrays.toString(actual)
                        + ", " + arch().id + " needs " + Arrays.toString(shape).replace("-1", "any"));
            }
            // copied into engine-owned memory: a mapped checkpoint is read-only, and training updates these in place
            NDArray mapped = weights.create(store.float32(name), new Shape(actual), DataType.FLOAT32);
            t = mapped.duplicate();
            mapped.close();
            loaded.put(name, t);
            if (parameter) {
                params.add(name, t);
            } else {
                params.addBuffer(name, t);
            }
        }
        return t;
    }

    /** Convolution {@code name} (weight (out, in / groups, k, k), optional bias), its output passed through the hooks. */
    protected NDArray conv(String name, NDArray x, int stride, int groups, Hooks hooks) {
        long in = x.getShape().get(1);
        NDArray w = tensor(name + ".weight", true, -1, in / groups, -1, -1);
        long k = w.getShape().get(2);
        if (w.getShape().get(3) != k || in % groups != 0) {
            throw new InvalidInputException(store.describe() + ": tensor '" + name + ".weight' is not a square kernel for " + in
                    + " input channels in " + groups + " groups");
        }
        NDArray b = has(name + ".bias") ? tensor(name + ".bias", true, w.getShape().get(0)) : null;
        int pad = (int) (k - 1) / 2;
        NDArray y = Conv2d.conv2d(x, w, b, new Shape(stride, stride), new Shape(pad, pad), new Shape(1, 1), groups).get(0);
        if (listing) {
            convs.add(name);
            sites.add(new Site(name, "convolution output (" + w.getShape().get(0) + " channels, " + k + "x" + k
                    + (stride > 1 ? ", stride " + stride : "") + (groups > 1 ? ", depthwise" : "") + ")",
                    new long[] {-1, w.getShape().get(0), -1, -1}, new String[] {"B", "C", "H", "W"}));
        }
        return hooks.at(name, y);
    }

    /**
     * Batch norm {@code name}: from its running statistics in evaluation mode (the default); in training mode from the
     * batch's statistics, updating the running ones with momentum 0.1, as PyTorch.
     */
    protected NDArray bn(String name, NDArray x, float eps) {
        long c = x.getShape().get(1);
        return BatchNorm.batchNorm(x, tensor(name + ".running_mean", false, c), tensor(name + ".running_var", false, c),
                tensor(name + ".weight", true, c), tensor(name + ".bias", true, c), 1, 0.1f, eps, training && !listing).get(0);
    }

    @Override
    public void setTraining(boolean training) {
        this.training = training;
    }

    @Override
    public boolean isTraining() {
        return training;
    }

    /** Linear {@code name}: weight (out, in), bias (out). */
    protected NDArray linear(String name, NDArray x) {
        NDArray w = tensor(name + ".weight", true, -1, x.getShape().get(1));
        return x.matMul(w.transpose()).add(tensor(name + ".bias", true, w.getShape().get(0)));
    }

    /** The mean over H and W: (B, C, H, W) to (B, C), or (B, C, 1, 1) with {@code keep}. */
    protected static NDArray spatialMean(NDArray x, boolean keep) {
        long b = x.getShape().get(0);
        long c = x.getShape().get(1);
        NDArray m = x.reshape(b, c, -1).mean(new int[] {2});
        return keep ? m.reshape(b, c, 1, 1) : m;
    }

    protected static NDArray silu(NDArray x) {
        return x.mul(ai.djl.nn.Activation.sigmoid(x));
    }
}
