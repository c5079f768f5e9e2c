package tracelens.sip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Identifier inputs, row by row: in memory, or gathered batch by batch from a memory-mapped activation cache so that a
 * training set larger than the heap streams through it.
 */
public interface Features {
    int rows();

    int dim();

    /** Rows {@code idx} as a (idx.length, dim) float32 array in {@code scope}. */
    NDArray batch(NDManager scope, int[] idx);

    /** Rows held in memory as one engine array in {@code manager} (which owns it). */
    static Features of(NDManager manager, float[][] x) {
        int d = x.length == 0 ? 0 : x[0].length;
        NDArray all = manager.create(IdentifierTrainer.flatten(x), new Shape(x.length, d));
        return new Features() {
            public int rows() {
                return x.length;
            }

            public int dim() {
                return d;
            }

            public NDArray batch(NDManager scope, int[] idx) {
                NDArray rows = scope.create(java.util.Arrays.stream(idx).asLongStream().toArray());
                NDArray b = all.get(rows);
                b.attach(scope);
                return b;
            }
        };
    }
}
