package tracelens.geometry;

/** The sample covariance (ddof 1) of a point cloud, in double precision. */
public final class Covariance {
    private Covariance() {}

    public static double[][] of(double[][] p) {
        Points.check(p, 2, 1);
        return Points.covariance(p, true);
    }

    /**
     * A covariance accumulated one row at a time, so a large cloud (e.g. every layer's states stacked, as I-STAR's C0
     * is built) never has to be held in memory: O(n^2) state. Rows are shifted by the first one before the sums, which
     * keeps the cancellation in sum(xx^T) - N mean mean^T small.
     */
    public static final class Accumulator {
        private double[] shift;
        private double[] sum;
        private double[][] cross;
        private long count;

        public void add(float[] row) {
            int n = row.length;
            if (shift == null) {
                shift = new double[n];
                for (int j = 0; j < n; j++) {
                    shift[j] = row[j];
                }
                sum = new double[n];
                cross = new double[n][n];
            } else if (n != shift.length) {
                throw new IllegalArgumentException("row of " + n + " values, expected " + shift.length);
            }
            double[] x = new double[n];
            for (int j = 0; j < n; j++) {
                x[j] = row[j] - shift[j];
                sum[j] += x[j];
            }
            for (int a = 0; a < n; a++) {
                double xa = x[a];
                if (xa == 0) {
                    continue;
                }
                double[] ca = cross[a];
                for (int b = a; b < n; b++) {
                    ca[b] += xa * x[b];
                }
            }
            count++;
        }

        public void addAll(float[][] rows) {
            for (float[] r : rows) {
                add(r);
            }
        }

        public long count() {
            return count;
        }

        /** The covariance of the rows added so far; needs at least two. */
        public double[][] build() {
            if (count < 2) {
                throw new IllegalStateException("a covariance needs at least 2 rows, found " + count);
            }
            int n = shift.length;
            double[][] c = new double[n][n];
            for (int a = 0; a < n; a++) {
                for (int b = a; b < n; b++) {
                    double v = (cross[a][b] - sum[a] * sum[b] / count) / (count - 1);
                    c[a][b] = v;
                    c[b][a] = v;
                }
            }
            return c;
        }
    }
}
