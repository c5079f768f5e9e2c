package tracelens.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * y = x W^T + b (W is (out, in), as PyTorch stores it), optionally without bias. Initialised as {@code torch.nn.Linear}
 * does, U(-1/sqrt(in), 1/sqrt(in)) for weight and bias, from the caller's seeded generator. Owns its parameters.
 */
public final class Linear implements Module {
    private final NDManager manager;
    private final NDArray weight;
    private final NDArray bias;
    private final Parameters params = new Parameters();

    public Linear(NDManager parent, int in, int out, boolean bias, Random random) {
        this.manager = parent.newSubManager();
        double bound = 1 / Math.sqrt(in);
        this.weight = manager.create(uniform(random, out * in, bound), new Shape(out, in));
        this.bias = bias ? manager.create(uniform(random, out, bound), new Shape(out)) : null;
        params.add("weight", weight);
        if (bias) {
            params.add("bias", this.bias);
        }
    }

    /** From given values: weight (out, in) row-major, bias (out) or null. */
    public Linear(NDManager parent, float[] weight, float[] bias, int in, int out) {
        this.manager = parent.newSubManager();
        this.weight = manager.create(weight, new Shape(out, in));
        this.bias = bias == null ? null : manager.create(bias, new Shape(out));
        params.add("weight", this.weight);
        if (bias != null) {
            params.add("bias", this.bias);
        }
    }

    /** (..., in) to (..., out); the result lands in x's manager. */
    public NDArray forward(NDArray x) {
        NDArray y = x.matMul(weight.transpose());
        return bias == null ? y : y.add(bias);
    }

    @Override
    public Parameters parameters() {
        return params;
    }

    @Override
    public void close() {
        manager.close();
    }

    static float[] uniform(Random r, int n, double bound) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((2 * r.nextDouble() - 1) * bound);
        }
        return v;
    }
}
