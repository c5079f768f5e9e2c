package tracelens.radioactive;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/**
 * The marking objective's differentiable augmentations (radioactive.md §2 and §11), as linear maps: a crop of rows
 * [top, top + h) and columns [left, left + w) resized to S x S is out = R_y X R_x^T per channel, with R_y (S x H) and
 * R_x (S x W) the weights of PIL's antialiased bilinear filter (a triangle widened by the scale when shrinking; plain
 * bilinear with half-pixel centres when enlarging); a horizontal flip reverses the rows of R_x. Gradients reach every
 * pixel through two batched matrix products.
 */
public final class Augmentation {
    /** One image's crop box and flip. */
    public record Crop(int top, int left, int height, int width, boolean flip) {}

    private Augmentation() {}

    /**
     * torchvision's CenterCrop after Resize: the shorter side scaled to round(S * 256 / 224), the central S x S taken;
     * expressed as a crop of the original image resized to S x S.
     */
    public static Crop center(int h, int w, int s) {
        double shorter = Math.round(s * 256.0 / 224.0);
        double scale = Math.min(h, w) / shorter; // source pixels per resized pixel
        int ch = (int) Math.round(Math.min(h, s * scale));
        int cw = (int) Math.round(Math.min(w, s * scale));
        return new Crop((h - ch) / 2, (w - cw) / 2, ch, cw, false);
    }

    /**
     * torchvision's RandomResizedCrop(scale (0.08, 1), ratio (3/4, 4/3)) and a horizontal flip with probability 1/2:
     * ten tries at an area and log-uniform aspect ratio that fit, else the centre crop (of the whole image's shorter side).
     */
    public static Crop random(int h, int w, int s, Random r) {
        double area = (double) h * w;
        for (int attempt = 0; attempt < 10; attempt++) {
            double target = area * (0.08 + r.nextDouble() * (1 - 0.08));
            double logRatio = Math.log(3.0 / 4) + r.nextDouble() * (Math.log(4.0 / 3) - Math.log(3.0 / 4));
            double ratio = Math.exp(logRatio);
            int cw = (int) Math.round(Math.sqrt(target * ratio));
            int ch = (int) Math.round(Math.sqrt(target / ratio));
            if (cw > 0 && ch > 0 && cw <= w && ch <= h) {
                int top = r.nextInt(h - ch + 1);
                int left = r.nextInt(w - cw + 1);
                return new Crop(top, left, ch, cw, r.nextBoolean());
            }
        }
        int side = Math.min(h, w);
        return new Crop((h - side) / 2, (w - side) / 2, side, side, r.nextBoolean());
    }

    /** The (out x n) weights taking source positions [start, start + len) of n to out positions. */
    static float[] weights(int n, int start, int len, int out, boolean reverse) {
        float[] m = new float[out * n];
        double scale = (double) len / out;
        double support = Math.max(1, scale);
        for (int i = 0; i < out; i++) {
            double centre = start + (i + 0.5) * scale;
            int lo = Math.max(start, (int) Math.floor(centre - support));
            int hi = Math.min(start + len, (int) Math.ceil(centre + support));
            double sum = 0;
            double[] wts = new double[hi - lo];
            for (int j = lo; j < hi; j++) {
                double t = 1 - Math.abs((j + 0.5 - centre) / support);
                wts[j - lo] = Math.max(0, t);
                sum += wts[j - lo];
            }
            int row = reverse ? out - 1 - i : i;
            for (int j = lo; j < hi; j++) {
                m[row * n + j] = (float) (wts[j - lo] / sum);
            }
        }
        return m;
    }

    /** The batch x (B, C, H, W) cropped and resized to (B, C, S, S), one crop per image, differentiably. */
    public static NDArray apply(NDManager m, NDArray x, Crop[] crops, int s) {
        int b = crops.length;
        int h = (int) x.getShape().get(2);
        int w = (int) x.getShape().get(3);
        float[] ry = new float[b * s * h];
        float[] rx = new float[b * s * w];
        for (int i = 0; i < b; i++) {
            Crop c = crops[i];
            System.arraycopy(weights(h, c.top(), c.height(), s, false), 0, ry, i * s * h, s * h);
            System.arraycopy(weights(w, c.left(), c.width(), s, c.flip()), 0, rx, i * s * w, s * w);
        }
        NDArray rows = m.create(ry, new Shape(b, 1, s, h));
        NDArray colsT = m.create(rx, new Shape(b, 1, s, w)).transpose(0, 1, 3, 2);
        return rows.matMul(x).matMul(colsT);
    }
}
