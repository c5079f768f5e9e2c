package tracelens.cnn;

import java.nio.file.Path;
import ai.djl.ndarray.NDManager;
import tracelens.runtime.DjlRuntime;
import tracelens.model.TensorStore;

/**
 * Loads a CNN from safetensors (a file, or a folder with model.safetensors) in torchvision's state-dict layout or in
 * timm's (recognised by its names; see {@link TimmLayout}).
 */
public final class CnnLoader {
    private CnnLoader() {}

    public static Cnn load(Path weights, Cnn.Arch arch) {
        TensorStore store = TimmLayout.of(tracelens.model.TensorStores.open(weights), arch);
        NDManager manager = DjlRuntime.manager();
        try {
            return switch (arch) {
                case RESNET18 -> new ResNet18(store, manager);
                case VGG16_BN -> new Vgg16Bn(store, manager);
                case EFFICIENTNET_B0 -> new EfficientNetB0(store, manager);
            };
        } catch (RuntimeException e) {
            manager.close();
            store.close();
            throw e;
        }
    }
}
