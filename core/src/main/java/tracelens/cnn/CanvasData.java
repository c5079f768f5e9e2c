package tracelens.cnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Canvases as network input: the gray canvas repeated over the three colour channels and normalised as
 * (x - 0.5) / 0.25, so 0 in the normalised input is mid-gray (the "mean colour" that pixel removal writes).
 */
public final class CanvasData {
    public static final float MEAN = 0.5f;
    public static final float STD = 0.25f;

    private CanvasData() {}

    /** Images {@code rows} of {@code images} as a normalised (B, 3, S, S) batch in {@code m}. */
    public static NDArray batch(NDManager m, List<MnistCanvas.Image> images, int[] rows, int size) {
        float[] flat = new float[rows.length * size * size];
        for (int i = 0; i < rows.length; i++) {
            float[] px = images.get(rows[i]).pixels();
            for (int p = 0; p < px.length; p++) {
                flat[i * px.length + p] = (px[p] - MEAN) / STD;
            }
        }
        return m.create(flat, new Shape(rows.length, 1, size, size)).repeat(1, 3);
    }
}
