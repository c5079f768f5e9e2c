package tracelens.sip;

/**
 * The simplest source identifier: assign a vector to the source whose mean training vector (centroid) is the
 * most cosine-similar. Training-free, so it measures how separable the sources already are in a layer.
 */
public final class NearestCentroid {
    private final double[][] centroids; // (K, C), unit length

    private NearestCentroid(double[][] centroids) {
        this.centroids = centroids;
    }

    /** Fits centroids of unit-normalised rows; {@code labels} in 0..k-1. */
    public static NearestCentroid fit(float[][] x, int[] labels, int k) {
        int c = x[0].length;
        double[][] sum = new double[k][c];
        for (int i = 0; i < x.length; i++) {
            double norm = norm(x[i]);
            for (int j = 0; j < c; j++) {
                sum[labels[i]][j] += x[i][j] / norm;
            }
        }
        for (double[] s : sum) {
            double n = 0;
            for (double v : s) {
                n += v * v;
            }
            n = Math.sqrt(n);
            if (n > 0) {
                for (int j = 0; j < c; j++) {
                    s[j] /= n;
                }
            }
        }
        return new NearestCentroid(sum);
    }

    public int predict(float[] v) {
        int best = -1;
        double bestSim = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < centroids.length; k++) {
            double s = 0;
            for (int j = 0; j < v.length; j++) {
                s += centroids[k][j] * v[j];
            }
            if (s > bestSim) {
                bestSim = s;
                best = k;
            }
        }
        return best;
    }

    public double accuracy(float[][] x, int[] labels) {
        int right = 0;
        for (int i = 0; i < x.length; i++) {
            if (predict(x[i]) == labels[i]) {
                right++;
            }
        }
        return (double) right / x.length;
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float f : v) {
            s += (double) f * f;
        }
        return s == 0 ? 1 : Math.sqrt(s);
    }
}
