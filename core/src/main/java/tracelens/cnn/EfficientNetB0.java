package tracelens.cnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Activation;
import tracelens.model.TensorStore;
import tracelens.nn.Hooks;

/**
 * torchvision's EfficientNet-B0: a 3x3/2 stem ({@code features.0}), seven stages of MBConv blocks
 * ({@code features.1} ... {@code features.7}: an optional 1x1 expansion, a depthwise k x k convolution, squeeze-and-
 * excitation with SiLU and a sigmoid gate, a 1x1 projection without activation, and the residual when shape allows),
 * a 1x1 head ({@code features.8}), global average pooling and {@code classifier.1}. SiLU throughout, batch-norm eps
 * 1e-5. Stage depths and widths come from the weights; strides are B0's (1, 2, 2, 2, 1, 2, 1).
 */
public final class EfficientNetB0 extends Cnn {
    private static final int[] STRIDES = {1, 2, 2, 2, 1, 2, 1};

    public EfficientNetB0(TensorStore store, NDManager weights) {
        super(store, weights);
        init(32);
    }

    @Override
    public Arch arch() {
        return Arch.EFFICIENTNET_B0;
    }

    @Override
    public String headName() {
        return "classifier.1";
    }

    @Override
    public NDArray features(NDArray images, Hooks hooks) {
        NDArray x = silu(bn("features.0.1", conv("features.0.0", images, 2, 1, hooks), 1e-5f));
        for (int stage = 1; stage <= 7; stage++) {
            for (int block = 0; has("features." + stage + "." + block + ".block.0.0.weight"); block++) {
                x = mbConv("features." + stage + "." + block + ".block.", x, block == 0 ? STRIDES[stage - 1] : 1, hooks);
            }
            x = stage("features." + stage, x, hooks);
        }
        x = silu(bn("features.8.1", conv("features.8.0", x, 1, 1, hooks), 1e-5f));
        return spatialMean(x, false);
    }

    private NDArray mbConv(String p, NDArray input, int stride, Hooks hooks) {
        long in = input.getShape().get(1);
        boolean expand = has(p + "3.0.weight"); // expansion present: four parts, else three
        int part = 0;
        NDArray x = input;
        if (expand) {
            x = silu(bn(p + "0.1", conv(p + "0.0", x, 1, 1, hooks), 1e-5f));
            part = 1;
        }
        int channels = (int) x.getShape().get(1);
        x = silu(bn(p + part + ".1", conv(p + part + ".0", x, stride, channels, hooks), 1e-5f));
        String se = p + (part + 1) + ".";
        NDArray s = spatialMean(x, true);
        s = silu(conv(se + "fc1", s, 1, 1, hooks));
        s = Activation.sigmoid(conv(se + "fc2", s, 1, 1, hooks));
        x = x.mul(s);
        x = bn(p + (part + 2) + ".1", conv(p + (part + 2) + ".0", x, 1, 1, hooks), 1e-5f);
        if (stride == 1 && in == x.getShape().get(1)) {
            x = x.add(input);
        }
        return x;
    }
}
