package tracelens.geometry;

import tracelens.error.InvalidInputException;

/**
 * Cosine measures of a point cloud through s = sum of the unit rows, in O(N n) (geometry.md §5): CosReg, the I-STAR
 * code's (||s||^2 - N)/N^2, and the mean cosine over distinct pairs, (||s||^2 - N)/(N(N-1)). A zero row has no
 * direction and is rejected.
 */
public final class Cosine {
    private Cosine() {}

    private static double sumSquared(double[][] p) {
        int n = p[0].length;
        double[] s = new double[n];
        for (int i = 0; i < p.length; i++) {
            double norm = 0;
            for (double v : p[i]) {
                norm += v * v;
            }
            if (norm == 0) {
                throw new InvalidInputException("row " + (i + 1) + " is the zero vector: it has no direction");
            }
            norm = Math.sqrt(norm);
            for (int j = 0; j < n; j++) {
                s[j] += p[i][j] / norm;
            }
        }
        double sq = 0;
        for (double v : s) {
            sq += v * v;
        }
        return sq;
    }

    public static double cosReg(double[][] p) {
        Points.check(p, 1, 1);
        double n = p.length;
        return (sumSquared(p) - n) / (n * n);
    }

    public static double meanDistinct(double[][] p) {
        Points.check(p, 2, 1);
        double n = p.length;
        return (sumSquared(p) - n) / (n * (n - 1));
    }
}
