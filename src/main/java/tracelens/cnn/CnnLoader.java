package tracelens.cnn;

import java.nio.file.Path;
import ai.djl.ndarray.NDManager;
import tracelens.runtime.DjlRuntime;
import tracelens.model.SafeTensorsStore;
import tracelens.model.TensorStore;

/** Loads a CNN from safetensors in the torchvision state-dict layout (a file, or a folder with model.safetensors). */
public final class CnnLoader {
    private CnnLoader() {}

    public static Cnn load(Path weights, Cnn.Arch arch) {
        TensorStore store = SafeTensorsStore.open(weights);
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
