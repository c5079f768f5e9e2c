package tracelens.sip;

import tracelens.error.InvalidInputException;

/**
 * Silhouette score (Rousseeuw, 1987) of points grouped by label: for each point, a = mean distance to the other
 * members of its group, b = the smallest mean distance to another group, s = (b - a) / max(a, b), and s = 0 for a
 * point alone in its group; the score is the mean of s. Distances are Euclidean or cosine (1 - cos), computed in
 * double precision, one row of the distance matrix at a time (O(n) memory). Matches scikit-learn's
 * {@code silhouette_score}.
 */
public final class Silhouette {
    public enum Distance { EUCLIDEAN, COSINE }

    private Silhouette() {}

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
        double[][] v = new double[n][d];
        double[] norms = new double[n];
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < d; j++) {
                v[i][j] = x[i][j];
                s += v[i][j] * v[i][j];
            }
            norms[i] = s;
        }
        if (distance == Distance.COSINE) {
            for (int i = 0; i < n; i++) {
                double norm = Math.sqrt(norms[i]);
                for (int j = 0; j < d; j++) {
                    v[i][j] = norm == 0 ? 0 : v[i][j] / norm;
                }
            }
        }
        double total = 0;
        double[] sums = new double[k];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(sums, 0);
            double[] vi = v[i];
            for (int j = 0; j < n; j++) {
                if (j == i) {
                    continue;
                }
                double[] vj = v[j];
                double dot = 0;
                for (int t = 0; t < d; t++) {
                    dot += vi[t] * vj[t];
                }
                double dist = distance == Distance.COSINE ? 1 - dot
                        : Math.sqrt(Math.max(0, norms[i] + norms[j] - 2 * dot));
                sums[labels[j]] += dist;
            }
            int own = labels[i];
            if (size[own] == 1) {
                continue; // s(i) = 0
            }
            double a = sums[own] / (size[own] - 1);
            double b = Double.POSITIVE_INFINITY;
            for (int c = 0; c < k; c++) {
                if (c != own && size[c] > 0) {
                    b = Math.min(b, sums[c] / size[c]);
                }
            }
            double m = Math.max(a, b);
            total += m == 0 ? 0 : (b - a) / m;
        }
        return total / n;
    }
}
