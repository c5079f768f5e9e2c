package tracelens.saliency;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import tracelens.error.InvalidInputException;

/**
 * Image files as network input (parchgrad.md §1): RGB in [0, 1]; an image whose size differs from the model's input is
 * resized so its shorter side is round(size 256 / 224) (256 for 224) with PIL's antialiased bilinear filter (a
 * triangle filter widened by the scale when shrinking), then centre-cropped; then normalised per channel.
 */
public final class ImageInput {
    public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /** A decoded image: CHW floats in [0, 1] at the model's input size, and its file name. */
    public record Image(String name, float[] chw, int size) {}

    private ImageInput() {}

    /** The image files of a folder (png, jpg, jpeg, bmp, gif), sorted by name. */
    public static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw InvalidInputException.at(dir, "not a folder of images");
        }
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g|bmp|gif)"))
                    .sorted().toList();
            if (files.isEmpty()) {
                throw InvalidInputException.at(dir, "holds no .png, .jpg, .bmp or .gif images");
            }
            return files;
        } catch (IOException e) {
            throw InvalidInputException.at(dir, "cannot list: " + e.getMessage());
        }
    }

    /** Reads, converts to RGB, resizes (unless {@code noResize}, which refuses other sizes) and crops to size x size. */
    public static Image read(Path file, int size, boolean noResize) {
        tracelens.images.ImageFolder.Item decoded = tracelens.images.ImageFolder.readImage(file, file.getFileName().toString(), -1);
        int w = decoded.width();
        int h = decoded.height();
        float[][] rgb = new float[3][];
        for (int c = 0; c < 3; c++) { // gray repeated over the three channels
            int from = (decoded.channels() == 1 ? 0 : c) * w * h;
            rgb[c] = java.util.Arrays.copyOfRange(decoded.pixels(), from, from + w * h);
        }
        if (w == size && h == size) {
            return new Image(file.getFileName().toString(), concat(rgb), size);
        }
        if (noResize) {
            throw InvalidInputException.at(file, "is " + w + "x" + h + ", the model takes " + size + "x" + size + " (resizing is off)");
        }
        int shorter = Math.round(size * 256f / 224f);
        int nw = w <= h ? shorter : (int) ((long) shorter * w / h);
        int nh = w <= h ? (int) ((long) shorter * h / w) : shorter;
        float[] out = new float[3 * size * size];
        int ox = (nw - size) / 2;
        int oy = (nh - size) / 2;
        for (int c = 0; c < 3; c++) {
            float[] resized = resize(rgb[c], w, h, nw, nh);
            for (int y = 0; y < size; y++) {
                System.arraycopy(resized, (y + oy) * nw + ox, out, c * size * size + y * size, size);
            }
        }
        return new Image(file.getFileName().toString(), out, size);
    }

    private static float[] concat(float[][] rgb) {
        float[] out = new float[rgb[0].length * 3];
        for (int c = 0; c < 3; c++) {
            System.arraycopy(rgb[c], 0, out, c * rgb[0].length, rgb[0].length);
        }
        return out;
    }

    /** Separable antialiased bilinear resampling, as PIL's Image.resize(BILINEAR). */
    static float[] resize(float[] src, int w, int h, int nw, int nh) {
        float[] tmp = new float[nw * h];
        for (int y = 0; y < h; y++) {
            resample1d(src, y * w, 1, w, tmp, y * nw, 1, nw);
        }
        float[] out = new float[nw * nh];
        for (int x = 0; x < nw; x++) {
            resample1d(tmp, x, nw, h, out, x, nw, nh);
        }
        return out;
    }

    private static void resample1d(float[] in, int inOff, int inStride, int inLen, float[] out, int outOff, int outStride, int outLen) {
        double scale = (double) inLen / outLen;
        double filterScale = Math.max(1, scale);
        double support = filterScale; // the triangle's support of 1, widened when shrinking
        for (int i = 0; i < outLen; i++) {
            double center = (i + 0.5) * scale;
            int lo = Math.max(0, (int) Math.floor(center - support));
            int hi = Math.min(inLen, (int) Math.ceil(center + support));
            double sum = 0;
            double wsum = 0;
            for (int j = lo; j < hi; j++) {
                double wgt = Math.max(0, 1 - Math.abs((j + 0.5 - center) / filterScale));
                sum += wgt * in[inOff + j * inStride];
                wsum += wgt;
            }
            out[outOff + i * outStride] = (float) (wsum > 0 ? sum / wsum : 0);
        }
    }
}
