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

        /**
         * Adds the rows of a 2-D engine array (any float type) in one pass on the engine: the shifted cross-products
         * are formed in float64 there, so a block of many rows costs one matrix product instead of a Java loop per row.
         */
        public void addRows(ai.djl.ndarray.NDArray rows) {
            long[] shape = rows.getShape().getShape();
            if (shape.length != 2) {
                throw new IllegalArgumentException("rows must be 2-D, found shape " + java.util.Arrays.toString(shape));
            }
            if (shape[0] == 0) {
                return;
            }
            int n = (int) shape[1];
            try (ai.djl.ndarray.NDManager scope = rows.getManager().newSubManager()) {
                ai.djl.ndarray.NDArray x = rows.toType(ai.djl.ndarray.types.DataType.FLOAT64, true);
                x.attach(scope);
                if (shift == null) {
                    add(rows.get(0).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
                    x = x.get("1:");
                    if (x.getShape().get(0) == 0) {
                        return;
                    }
                } else if (n != shift.length) {
                    throw new IllegalArgumentException("rows of " + n + " values, expected " + shift.length);
                }
                ai.djl.ndarray.NDArray xs = x.sub(scope.create(shift));
                double[] s = xs.sum(new int[] {0}).toDoubleArray();
                double[] g = xs.transpose().matMul(xs).toDoubleArray();
                for (int a = 0; a < n; a++) {
                    sum[a] += s[a];
                    double[] ca = cross[a];
                    for (int b = a; b < n; b++) {
                        ca[b] += g[a * n + b];
                    }
                }
                count += x.getShape().get(0);
            }
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
