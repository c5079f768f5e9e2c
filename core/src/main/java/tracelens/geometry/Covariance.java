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
    public static final class Accumulator implements AutoCloseable {
        private ai.djl.ndarray.NDManager engine;
        private static final int TILE = 256;
        private final boolean syrk;
        private com.sun.jna.Memory engineGram; // the MKL dsyrk path: XᵀX's upper triangle, column-major n x n
        private ai.djl.ndarray.NDArray[] engineCross;
        private ai.djl.ndarray.NDArray engineSum;
        private ai.djl.ndarray.NDArray engineShift;
        private double[] shift;
        private double[] sum;
        private double[][] cross;
        private long count;

        /** An accumulator whose engine-side products use the engine's dsyrk where it has one ({@link EngineBlas}). */
        public Accumulator() {
            this(tracelens.runtime.EngineBlas.available());
        }

        /** {@code syrk}: XᵀX by the engine's dsyrk (half the multiplications) rather than by tiles of products. */
        Accumulator(boolean syrk) {
            this.syrk = syrk;
        }

        public void add(float[] row) {
            double[] d = new double[row.length];
            for (int j = 0; j < d.length; j++) {
                d[j] = row[j];
            }
            add(d);
        }

        public void add(double[] row) {
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
         * Adds the rows of a 2-D engine array (any float type) on the engine: the shifted cross-products are summed in
         * float64 there, in this accumulator's own engine memory, and read back once by {@link #build()}; a block of
         * many rows costs one matrix product and no copy back to Java.
         */
        public void addRows(ai.djl.ndarray.NDArray rows) {
            addRows(rows, false);
        }

        /**
         * As {@link #addRows(ai.djl.ndarray.NDArray)}; {@code overwrite}: the rows may be shifted in place (the caller
         * is done with them), which saves writing a second copy of the block.
         */
        public void addRows(ai.djl.ndarray.NDArray rows, boolean overwrite) {
            long[] shape = rows.getShape().getShape();
            if (shape.length != 2) {
                throw new IllegalArgumentException("rows must be 2-D, found shape " + java.util.Arrays.toString(shape));
            }
            if (shape[0] == 0) {
                return;
            }
            int n = (int) shape[1];
            try (ai.djl.ndarray.NDManager scope = rows.getManager().newSubManager()) {
                ai.djl.ndarray.NDArray x = rows;
                boolean own = overwrite || rows.getDataType() != ai.djl.ndarray.types.DataType.FLOAT64; // x may change
                if (rows.getDataType() != ai.djl.ndarray.types.DataType.FLOAT64) {
                    x = rows.toType(ai.djl.ndarray.types.DataType.FLOAT64, false);
                    x.attach(scope);
                }
                if (shift == null) {
                    add(x.get(0).toDoubleArray());
                    x = x.get("1:");
                    if (x.getShape().get(0) == 0) {
                        return;
                    }
                } else if (n != shift.length) {
                    throw new IllegalArgumentException("rows of " + n + " values, expected " + shift.length);
                }
                int k = (n + TILE - 1) / TILE;
                if (engine == null) {
                    engine = tracelens.runtime.DjlRuntime.manager();
                    if (syrk) {
                        engineGram = tracelens.runtime.EngineBlas.matrix(n);
                    } else {
                        engineCross = new ai.djl.ndarray.NDArray[k * (k + 1) / 2];
                        for (int i = 0, t = 0; i < k; i++) {
                            for (int j = i; j < k; j++, t++) {
                                engineCross[t] = engine.zeros(new ai.djl.ndarray.types.Shape(width(i, n), width(j, n)),
                                        ai.djl.ndarray.types.DataType.FLOAT64);
                            }
                        }
                    }
                    engineSum = engine.zeros(new ai.djl.ndarray.types.Shape(n), ai.djl.ndarray.types.DataType.FLOAT64);
                    engineShift = engine.create(shift);
                }
                ai.djl.ndarray.NDArray xs = own ? x.subi(engineShift) : x.sub(engineShift);
                if (syrk) {
                    tracelens.runtime.EngineBlas.syrkUpper(xs, engineGram, n);
                } else {
                    // the upper triangle of tiles only: XᵀX is symmetric, so k(k+1)/2 of the k² tile products suffice
                    ai.djl.ndarray.NDArray[] cols = new ai.djl.ndarray.NDArray[k];
                    for (int i = 0; i < k; i++) {
                        cols[i] = k == 1 ? xs : xs.get(":, " + i * TILE + ":" + (i * TILE + width(i, n)));
                    }
                    for (int i = 0, t = 0; i < k; i++) {
                        ai.djl.ndarray.NDArray ti = cols[i].transpose();
                        for (int j = i; j < k; j++, t++) {
                            engineCross[t].addi(ti.matMul(cols[j]));
                        }
                    }
                }
                engineSum.addi(xs.sum(new int[] {0}));
                count += x.getShape().get(0);
            }
        }

        private static int width(int tile, int n) {
            return Math.min(TILE, n - tile * TILE);
        }

        /** The engine-side XᵀX as one row-major n x n array (upper triangle filled). */
        private double[] tiles(int n) {
            if (engineGram != null) {
                return tracelens.runtime.EngineBlas.symmetric(engineGram, n);
            }
            int k = (n + TILE - 1) / TILE;
            double[] g = new double[n * n];
            for (int i = 0, t = 0; i < k; i++) {
                for (int j = i; j < k; j++, t++) {
                    double[] v = engineCross[t].toDoubleArray();
                    int w = width(j, n);
                    for (int r = 0; r < width(i, n); r++) {
                        System.arraycopy(v, r * w, g, (i * TILE + r) * n + j * TILE, w);
                    }
                }
            }
            return g;
        }

        /** Frees the engine-side sums (when {@link #addRows} was used). */
        @Override
        public void close() {
            if (engineGram != null) {
                engineGram.close();
                engineGram = null;
            }
            if (engine != null) {
                engine.close();
                engine = null;
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
            double[] g = engine == null ? null : tiles(n);
            double[] s = sum.clone();
            if (engine != null) {
                double[] es = engineSum.toDoubleArray();
                for (int a = 0; a < n; a++) {
                    s[a] += es[a];
                }
            }
            double[][] c = new double[n][n];
            for (int a = 0; a < n; a++) {
                for (int b = a; b < n; b++) {
                    double v = (cross[a][b] + (g == null ? 0 : g[a * n + b]) - s[a] * s[b] / count) / (count - 1);
                    c[a][b] = v;
                    c[b][a] = v;
                }
            }
            return c;
        }
    }
}
