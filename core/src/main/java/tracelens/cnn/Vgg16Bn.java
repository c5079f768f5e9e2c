package tracelens.cnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import tracelens.model.TensorStore;
import tracelens.nn.Hooks;

/**
 * torchvision's VGG16-BN: 13 3x3 convolutions with bias, each followed by BN and ReLU, in five blocks (2, 2, 3, 3, 3)
 * ending in 2x2 max-pools ({@code features.0} ... {@code features.43}), adaptive average pooling to 7x7, and the
 * classifier Linear-ReLU-Dropout-Linear-ReLU-Dropout-Linear ({@code classifier.0/3/6}).
 */
public final class Vgg16Bn extends Cnn {
    private static final int[] BLOCKS = {2, 2, 3, 3, 3};

    public Vgg16Bn(TensorStore store, NDManager weights) {
        super(store, weights);
        init(32);
    }

    @Override
    public Arch arch() {
        return Arch.VGG16_BN;
    }

    @Override
    public String headName() {
        return "classifier.6";
    }

    @Override
    public NDArray features(NDArray images, Hooks hooks) {
        NDArray x = images;
        int index = 0;
        for (int convs : BLOCKS) {
            for (int i = 0; i < convs; i++) {
                x = Activation.relu(bn("features." + (index + 1), conv("features." + index, x, 1, 1, hooks), 1e-5f));
                index += 3;
            }
            x = Pool.maxPool2d(x, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false);
            index++;
        }
        x = AdaptivePool.average(x, 7, 7).reshape(x.getShape().get(0), -1);
        x = Activation.relu(linear("classifier.0", x));
        return Activation.relu(linear("classifier.3", x));
    }
}
