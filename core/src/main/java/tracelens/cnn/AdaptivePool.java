package tracelens.cnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/**
 * PyTorch's {@code adaptive_avg_pool2d}: output cell (i, j) averages input rows floor(i H / oh) .. ceil((i + 1) H / oh)
 * and the same for columns. An input already of the output size passes unchanged.
 */
final class AdaptivePool {
    private AdaptivePool() {}

    static NDArray average(NDArray x, int oh, int ow) {
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        if (h == oh && w == ow) {
            return x;
        }
        NDList rows = new NDList();
        for (int i = 0; i < oh; i++) {
            long r0 = Math.floorDiv(i * h, oh);
            long r1 = -Math.floorDiv(-(i + 1) * h, oh);
            NDList cols = new NDList();
            for (int j = 0; j < ow; j++) {
                long c0 = Math.floorDiv(j * w, ow);
                long c1 = -Math.floorDiv(-(j + 1) * w, ow);
                cols.add(x.get(new NDIndex(":, :, {}:{}, {}:{}", r0, r1, c0, c1)).reshape(x.getShape().get(0), x.getShape().get(1), -1).mean(new int[] {2}));
            }
            rows.add(NDArrays.stack(cols, 2)); // (B, C, ow)
        }
        return NDArrays.stack(rows, 2); // (B, C, oh, ow)
    }
}
