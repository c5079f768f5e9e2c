package tracelens.saliency;

import java.util.List;
import tracelens.cnn.Cnn;
import tracelens.error.InvalidInputException;

/**
 * Which convolutions ParchGrad hooks (parchgrad.md §2): the per-architecture defaults, or the last floor(r n) of the n
 * convolutions in module order for a layer ratio r in (0, 1].
 */
public final class HookSelection {
    private HookSelection() {}

    public static List<String> ratio(Cnn cnn, double r) {
        if (!(r > 0 && r <= 1)) {
            throw InvalidInputException.field("layer_ratio", " must be in (0, 1], found " + r);
        }
        List<String> convs = cnn.convolutions();
        int keep = (int) Math.floor(r * convs.size());
        return List.copyOf(convs.subList(convs.size() - keep, convs.size()));
    }

    /**
     * ResNet-18: conv1 and conv2 of every block of layer3 and layer4 (8, no downsample convolutions); VGG16-BN: the ratio
     * rule at 0.5; EfficientNet-B0: the depthwise convolutions of the first stage-6 and the stage-7 block and the head.
     */
    public static List<String> defaults(Cnn cnn) {
        return switch (cnn.arch()) {
            case RESNET18 -> cnn.convolutions().stream()
                    .filter(n -> n.matches("layer[34]\\.\\d+\\.conv[12]")).toList();
            case VGG16_BN -> ratio(cnn, 0.5);
            case EFFICIENTNET_B0 -> List.of("features.6.0.block.1.0", "features.7.0.block.1.0", "features.8.0");
        };
    }
}
