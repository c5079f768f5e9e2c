package tracelens.cnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import tracelens.model.TensorStore;
import tracelens.nn.Hooks;

/**
 * torchvision's ResNet-18: conv 7x7/2, BN, ReLU, max-pool 3x3/2, four stages of two BasicBlocks (3x3 convs; the first
 * block of stages 2-4 has stride 2 and a 1x1 downsample), global average pool, fc. timm's resnet18 uses the same names.
 */
public final class ResNet18 extends Cnn {
    public ResNet18(TensorStore store, NDManager weights) {
        super(store, weights);
        init(32);
    }

    @Override
    public Arch arch() {
        return Arch.RESNET18;
    }

    @Override
    public String headName() {
        return "fc";
    }

    @Override
    public NDArray features(NDArray images, Hooks hooks) {
        NDArray x = Activation.relu(bn("bn1", conv("conv1", images, 2, 1, hooks), 1e-5f));
        x = Pool.maxPool2d(x, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false);
        for (int stage = 1; stage <= 4; stage++) {
            for (int block = 0; block < 2; block++) {
                String p = "layer" + stage + "." + block + ".";
                int stride = stage > 1 && block == 0 ? 2 : 1;
                NDArray out = Activation.relu(bn(p + "bn1", conv(p + "conv1", x, stride, 1, hooks), 1e-5f));
                out = bn(p + "bn2", conv(p + "conv2", out, 1, 1, hooks), 1e-5f);
                NDArray identity = has(p + "downsample.0.weight")
                        ? bn(p + "downsample.1", conv(p + "downsample.0", x, stride, 1, hooks), 1e-5f) : x;
                x = Activation.relu(out.add(identity));
            }
            x = stage("layer" + stage, x, hooks);
        }
        return spatialMean(x, false);
    }
}
