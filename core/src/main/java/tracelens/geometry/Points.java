package tracelens.geometry;

import tracelens.error.InvalidInputException;

/** Point clouds (rows are points): the checks shared by the geometry measures, and widening to double precision. */
public final class Points {
    private Points() {}

    /** A float cloud as doubles, for the double-precision measures and solvers. */
    public static double[][] toDouble(float[][] x) {
        double[][] out = new double[x.length][];
        for (int i = 0; i < x.length; i++) {
            out[i] = new double[x[i].length];
            for (int j = 0; j < x[i].length; j++) {
                out[i][j] = x[i][j];
            }
        }
        return out;
    }

    /** Rows {@code [from, to)} of equal length as one row-major array, for the engine. */
    public static float[] flatten(float[][] x, int from, int to) {
        int d = x[from].length;
        float[] out = new float[(to - from) * d];
        for (int i = from; i < to; i++) {
            System.arraycopy(x[i], 0, out, (i - from) * d, d);
        }
        return out;
    }

    public static float[] flatten(float[][] x) {
        return flatten(x, 0, x.length);
    }

    static void check(double[][] p, int minRows, int minCols) {
        if (p.length < minRows) {
            throw new InvalidInputException("needs at least " + minRows + " points, found " + p.length);
        }
        int n = p.length == 0 ? 0 : p[0].length;
        if (n < minCols) {
            throw new InvalidInputException("needs at least " + minCols + " dimensions, found " + n);
        }
        for (int i = 0; i < p.length; i++) {
            if (p[i].length != n) {
                throw new InvalidInputException("row " + (i + 1) + " has " + p[i].length + " values, the first row " + n);
            }
            for (int j = 0; j < n; j++) {
                if (!Double.isFinite(p[i][j])) {
                    throw new tracelens.error.NumericalFailureException("row " + (i + 1) + ", column " + (j + 1) + " is " + p[i][j]);
                }
            }
        }
    }

    /** Covariance with ddof 1 of the centred points, divided by max |P_c| squared first (scale-safe; callers only use ratios or rescale). */
    static double[][] covariance(double[][] p, boolean rescaleBack) {
        int m = p.length;
        int n = p[0].length;
        double[] mean = new double[n];
        for (double[] row : p) {
            for (int j = 0; j < n; j++) {
                mean[j] += row[j] / m;
            }
        }
        double scale = 0;
        for (double[] row : p) {
            for (int j = 0; j < n; j++) {
                scale = Math.max(scale, Math.abs(row[j] - mean[j]));
            }
        }
        double inv = scale > 0 ? 1 / scale : 1;
        double[][] c = new double[n][n];
        double[] x = new double[n];
        for (double[] row : p) {
            for (int j = 0; j < n; j++) {
                x[j] = (row[j] - mean[j]) * inv;
            }
            for (int a = 0; a < n; a++) {
                double xa = x[a];
                if (xa == 0) {
                    continue;
                }
                double[] ca = c[a];
                for (int b = a; b < n; b++) {
                    ca[b] += xa * x[b];
                }
            }
        }
        double back = rescaleBack ? scale * scale : 1;
        for (int a = 0; a < n; a++) {
            for (int b = a; b < n; b++) {
                double v = c[a][b] / (m - 1) * back;
                c[a][b] = v;
                c[b][a] = v;
            }
        }
        return c;
    }
}
