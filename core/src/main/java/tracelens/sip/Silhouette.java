package tracelens.sip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import tracelens.error.InvalidInputException;
import tracelens.runtime.DjlRuntime;

/**
 * Silhouette score (Rousseeuw, 1987) of points grouped by label: for each point, a = mean distance to the other
 * members of its group, b = the smallest mean distance to another group, s = (b - a) / max(a, b), and s = 0 for a
 * point alone in its group; the score is the mean of s. Distances are Euclidean or cosine (1 - cos), as
 * scikit-learn's {@code silhouette_score} computes them.
 *
 * <p>Euclidean: through |x|^2 + |y|^2 - 2 x.y with the self-distance set to 0, in float32 on the engine in blocks (a
 * block of distances times the one-hot label matrix gives each point's summed distance to every group), only on and
 * above the diagonal since the matrix is symmetric, so memory stays at O(block^2) and half the products are saved.
 *
 * <p>Cosine: the distance is linear in the other point's unit vector, so a point's summed distance to group c is
 * |c| - x^.S_c with S_c the sum of c's unit vectors (its own term, 1 - |x^|^2 = 0, taken out for its own group): O(n k d)
 * in float64 instead of n^2 distances, bit-identical on every processor (plain Java arithmetic), and within 1e-12 of
 * scikit-learn instead of 1e-9. A zero vector is at distance 1 from every other point (its unit vector is taken as 0).
 */
public final class Silhouette {
    public enum Distance { EUCLIDEAN, COSINE }

    private static final int BLOCK = 1024;

    private Silhouette() {}

    private static void add(double[] sums, int firstRow, int k, float[] block) {
        for (int i = 0; i < block.length; i++) {
            sums[firstRow * k + i] += block[i];
        }
    }

    public static double score(float[][] x, int[] labels, Distance distance) {
        int n = x.length;
        int k = 0;
        for (int l : labels) {
            k = Math.max(k, l + 1);
        }
        int[] size = new int[k];
        for (int l : labels) {
            size[l]++;
        }
        int groups = 0;
        for (int s : size) {
            if (s > 0) {
                groups++;
            }
        }
        if (groups < 2 || groups > n - 1) {
            throw new InvalidInputException("silhouette needs 2 to n-1 distinct labels; found " + groups + " among " + n + " points");
        }
        int d = x[0].length;
        if (distance == Distance.COSINE) {
            return fromSums(cosineSums(unitRows(x), labels, size, d), labels, size, k);
        }
        float[] oneHot = new float[n * k];
        for (int i = 0; i < n; i++) {
            oneHot[i * k + labels[i]] = 1;
        }
        int w = d + 2;
        float[] left = new float[n * w];
        float[] right = new float[n * w];
        augment(x, left, right);
        // summed distances of every point to every group; the distance matrix is symmetric, so only the blocks on and
        // above the diagonal are computed: block (I, J) adds D y_J to the rows of I and D^T y_I to the rows of J
        double[] sums = new double[n * k];
        try (NDManager m = DjlRuntime.manager()) {
            // float32 on the engine: the score stays within 1e-8 of scikit-learn's double computation (bench/silhouette.sh)
            NDArray lefts = m.create(left, new Shape(n, w));
            NDArray rights = m.create(right, new Shape(n, w));
            NDArray y = m.create(oneHot, new Shape(n, k));
            for (int from = 0; from < n; from += BLOCK) {
                int to = Math.min(n, from + BLOCK);
                for (int jFrom = from; jFrom < n; jFrom += BLOCK) {
                    int jTo = Math.min(n, jFrom + BLOCK);
                    try (NDManager scope = m.newSubManager()) {
                        NDArray block = lefts.get(rows(from, to));
                        block.attach(scope);
                        NDArray dist = block.matMul(rights.get(rows(jFrom, jTo)).transpose()); // (bI, bJ)
                        dist = dist.maximum(0f).sqrt();
                        if (jFrom == from) {
                            // the self-distance is 0 by definition (the product form can leave rounding noise there)
                            dist = dist.mul(scope.eye(to - from).neg().add(1f));
                        }
                        add(sums, from, k, dist.matMul(y.get(rows(jFrom, jTo))).toFloatArray());
                        if (jFrom != from) {
                            add(sums, jFrom, k, dist.transpose().matMul(y.get(rows(from, to))).toFloatArray());
                        }
                    }
                }
            }
        }
        return fromSums(sums, labels, size, k);
    }

    /**
     * Distances come out of one matrix product of augmented rows: [x, |x|^2, 1] . [-2y, 1, |y|^2] = |x - y|^2, so no
     * elementwise pass over the n x n block is needed before the square root. Rows of width d + 2 into {@code left}
     * and {@code right}. A method of its own, as are the other loops here: the optimising compiler then compiles small
     * methods instead of one large one mid-loop, which on two cores took CPU from the distance products for the first
     * few calls (0.35-0.43 s instead of 0.23 s a call).
     */
    private static void augment(float[][] x, float[] left, float[] right) {
        int d = x[0].length;
        int w = d + 2;
        for (int i = 0; i < x.length; i++) {
            double sq = 0;
            for (int j = 0; j < d; j++) {
                double v = x[i][j];
                sq += v * v;
                left[i * w + j] = (float) v;
                right[i * w + j] = (float) (-2 * v);
            }
            left[i * w + d] = (float) sq;
            left[i * w + d + 1] = 1;
            right[i * w + d] = 1;
            right[i * w + d + 1] = (float) sq;
        }
    }

    /** Rows [from, to) as an index object (a string index would be parsed by regular expressions every call). */
    private static NDIndex rows(int from, int to) {
        return new NDIndex().addSliceDim(from, to);
    }

    /** The rows scaled to unit length, in float64, n x d; a zero row stays 0. */
    private static double[] unitRows(float[][] x) {
        int d = x[0].length;
        double[] unit = new double[x.length * d];
        for (int i = 0; i < x.length; i++) {
            double norm = 0;
            for (int j = 0; j < d; j++) {
                norm += (double) x[i][j] * x[i][j];
            }
            norm = norm > 0 ? Math.sqrt(norm) : 1;
            for (int j = 0; j < d; j++) {
                unit[i * d + j] = x[i][j] / norm;
            }
        }
        return unit;
    }

    /**
     * Each point's summed cosine distance to every group ({@code unit}: the points' unit vectors, n x d; {@code size}:
     * the groups' sizes).
     */
    private static double[] cosineSums(double[] unit, int[] labels, int[] size, int d) {
        int n = labels.length;
        int k = size.length;
        double[] groupSum = new double[d * k]; // S_c, laid out (d, k) so the loop below runs over groups innermost
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                groupSum[j * k + labels[i]] += unit[i * d + j];
            }
        }
        double[] sums = new double[n * k];
        double[] dots = new double[k];
        for (int i = 0; i < n; i++) {
            Arrays.fill(dots, 0);
            double self = 0;
            for (int j = 0; j < d; j++) {
                double v = unit[i * d + j];
                self += v * v;
                for (int c = 0; c < k; c++) {
                    dots[c] += v * groupSum[j * k + c];
                }
            }
            for (int c = 0; c < k; c++) {
                sums[i * k + c] = c == labels[i] ? (size[c] - 1) - (dots[c] - self) : size[c] - dots[c];
            }
        }
        return sums;
    }

    /** The mean silhouette from each point's summed distance to every group. */
    private static double fromSums(double[] sums, int[] labels, int[] size, int k) {
        int n = labels.length;
        double total = 0;
        for (int i = 0; i < n; i++) {
            int own = labels[i];
            if (size[own] == 1) {
                continue; // s(i) = 0
            }
            double a = sums[i * k + own] / (size[own] - 1);
            double b = Double.POSITIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                if (c != own && size[c] > 0) {
                    b = Math.min(b, sums[i * k + c] / size[c]);
                }
            }
            double mx = Math.max(a, b);
            total += mx == 0 ? 0 : (b - a) / mx;
        }
        return total / n;
    }
}
