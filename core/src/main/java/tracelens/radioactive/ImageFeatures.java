package tracelens.radioactive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import tracelens.cnn.Cnn;
import tracelens.images.ImageFolder;
import tracelens.model.SafeTensors;
import tracelens.nn.Hooks;
import tracelens.saliency.ImageInput;

/** A network's penultimate features of images at their own size (as the white-box test's held-out set), in batches. */
public final class ImageFeatures {
    private ImageFeatures() {}

    /** The normalisation a model file declares: train-cnn's canvas models say so in their metadata, others are ImageNet's. */
    public static ImageMarker.Normalisation of(Path model) {
        Path file = Files.isDirectory(model) ? model.resolve("model.safetensors") : model;
        String meta = SafeTensors.headerMetadata(file).getOrDefault("normalisation", "");
        return meta.startsWith("(x - 0.5) / 0.25") ? ImageMarker.Normalisation.canvas()
                : new ImageMarker.Normalisation(ImageInput.IMAGENET_MEAN, ImageInput.IMAGENET_STD);
    }

    /** Features (n x d) of {@code items} (one size), gray repeated over RGB after normalisation. */
    public static double[][] of(NDManager root, Cnn cnn, List<ImageFolder.Item> items, ImageMarker.Normalisation norm) {
        double[][] out = new double[items.size()][];
        for (int from = 0; from < items.size(); from += 64) {
            int to = Math.min(items.size(), from + 64);
            ImageFolder.Item first = items.get(from);
            int c = first.channels();
            int h = first.height();
            int w = first.width();
            int per = c * h * w;
            float[] flat = new float[(to - from) * per];
            for (int i = from; i < to; i++) {
                ImageFolder.Item it = items.get(i);
                if (it.channels() != c || it.height() != h || it.width() != w) {
                    throw new tracelens.error.InvalidInputException("held-out images must share one size and channel count: "
                            + it.relative() + " differs from " + first.relative());
                }
                for (int k = 0; k < per; k++) {
                    int ch = k / (h * w);
                    flat[(i - from) * per + k] = (it.pixels()[k] - norm.mean()[ch]) / norm.std()[ch];
                }
            }
            try (NDManager scope = root.newSubManager()) {
                NDArray x = scope.create(flat, new Shape(to - from, c, h, w));
                if (c == 1) {
                    x = x.repeat(1, 3);
                }
                NDArray f = cnn.features(x, Hooks.none(scope));
                int d = (int) f.getShape().get(1);
                float[] v = f.toFloatArray();
                for (int i = from; i < to; i++) {
                    out[i] = new double[d];
                    for (int j = 0; j < d; j++) {
                        out[i][j] = v[(i - from) * d + j];
                    }
                }
            }
        }
        return out;
    }
}
