package tracelens.geometry;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import tracelens.error.InvalidInputException;
import tracelens.error.NumericalFailureException;

/**
 * What the geometry measures need from a point cloud, gathered in two streaming passes so that a cloud larger than
 * memory (an activation file) costs O(n^2) memory: pass 1 finds max |x| and rejects non-finite values; pass 2
 * accumulates the covariance of the rows divided by that scale (the measures built on it are scale-invariant, or
 * rescale C0 instead, so 1e+-150 data neither overflows nor underflows), the sum of unit rows (cosine measures), and
 * a seeded uniform reservoir sample for the neighbour-based estimators (TwoNN, MLE), which need all pairs.
 */
public final class CloudSummary {
    /** Rows of a cloud, read block by block (row-major). */
    public interface Rows {
        long count();

        int dims();

        double[] block(long from, int count);
    }

    /** A cloud held in memory (a CSV file). */
    public static Rows of(double[][] p) {
        return new Rows() {
            public long count() {
                return p.length;
            }

            public int dims() {
                return p.length == 0 ? 0 : p[0].length;
            }

            public double[] block(long from, int count) {
                int n = dims();
                double[] out = new double[count * n];
                for (int i = 0; i < count; i++) {
                    System.arraycopy(p[(int) from + i], 0, out, i * n, n);
                }
                return out;
            }
        };
    }

    private static final int BLOCK_ROWS = 4096;

    private final long count;
    private final int dims;
    private final double scale;
    private final double[][] scaledCovariance;
    private final double unitSumSquared;
    private final long zeroRows;
    private final double[][] sample;

    private CloudSummary(long count, int dims, double scale, double[][] scaledCovariance, double unitSumSquared, long zeroRows,
            double[][] sample) {
        this.count = count;
        this.dims = dims;
        this.scale = scale;
        this.scaledCovariance = scaledCovariance;
        this.unitSumSquared = unitSumSquared;
        this.zeroRows = zeroRows;
        this.sample = sample;
    }

    /** Summarises {@code rows}, keeping at most {@code maxSample} rows (seeded) for the neighbour-based estimators. */
    public static CloudSummary of(Rows rows, int maxSample, long seed, NDManager manager) {
        long m = rows.count();
        int n = rows.dims();
        if (m == 0) {
            throw new InvalidInputException("no points (empty tensor)");
        }
        if (n < 1) {
            throw new InvalidInputException("points have no dimensions");
        }
        double max = 0;
        for (long from = 0; from < m; from += BLOCK_ROWS) {
            int b = (int) Math.min(BLOCK_ROWS, m - from);
            double[] x = rows.block(from, b);
            for (int i = 0; i < x.length; i++) {
                if (!Double.isFinite(x[i])) {
                    throw new NumericalFailureException("row " + (from + i / n + 1) + ", column " + (i % n + 1) + " is " + x[i]);
                }
                max = Math.max(max, Math.abs(x[i]));
            }
        }
        double inv = max > 0 ? 1 / max : 1;
        Covariance.Accumulator acc = new Covariance.Accumulator();
        double[] unitSum = new double[n];
        long zero = 0;
        int keep = (int) Math.min(maxSample, m);
        double[][] sample = new double[keep][];
        Random random = new Random(seed);
        for (long from = 0; from < m; from += BLOCK_ROWS) {
            int b = (int) Math.min(BLOCK_ROWS, m - from);
            double[] x = rows.block(from, b);
            for (int i = 0; i < b; i++) {
                long row = from + i;
                double norm = 0;
                for (int j = 0; j < n; j++) {
                    double v = x[i * n + j] * inv;
                    norm += v * v;
                }
                if (norm == 0) {
                    zero++;
                } else {
                    norm = Math.sqrt(norm);
                    for (int j = 0; j < n; j++) {
                        unitSum[j] += x[i * n + j] * inv / norm;
                    }
                }
                // reservoir sampling (Algorithm R): every row ends up in the sample with probability keep/m
                int slot = row < keep ? (int) row : (int) nextLong(random, row + 1);
                if (slot < keep) {
                    double[] r = new double[n];
                    System.arraycopy(x, i * n, r, 0, n);
                    sample[slot] = r;
                }
                for (int j = 0; j < n; j++) {
                    x[i * n + j] *= inv;
                }
            }
            try (NDManager scope = manager.newSubManager()) {
                acc.addRows(scope.create(x, new Shape(b, n)));
            }
        }
        double sq = 0;
        for (double v : unitSum) {
            sq += v * v;
        }
        return new CloudSummary(m, n, max > 0 ? max : 1, m >= 2 ? acc.build() : null, sq, zero, sample);
    }

    private static long nextLong(Random r, long bound) {
        return bound <= Integer.MAX_VALUE ? r.nextInt((int) bound) : Math.floorMod(r.nextLong(), bound);
    }

    public long count() {
        return count;
    }

    public int dims() {
        return dims;
    }

    /** Whether the neighbour-based estimators see a subsample rather than every point. */
    public boolean sampled() {
        return sample.length < count;
    }

    public double[][] sample() {
        return sample;
    }

    private void needCovariance() {
        if (scaledCovariance == null) {
            throw new InvalidInputException("needs at least 2 points, found " + count);
        }
        if (dims < 2) {
            throw new InvalidInputException("needs at least 2 dimensions, found " + dims);
        }
    }

    public double isoScore() {
        needCovariance();
        return IsoScore.ofCovariance(scaledCovariance);
    }

    /** IsoScore* with C0 in the data's own units: C0 is divided by the squared scale, as the data was. */
    public double isoScoreStar(double[][] c0, double zeta) {
        needCovariance();
        double s2 = scale * scale;
        double[][] c0s = new double[dims][dims];
        for (int a = 0; a < dims; a++) {
            for (int b = 0; b < dims; b++) {
                c0s[a][b] = c0[a][b] / s2;
            }
        }
        return IsoScore.starOfCovariance(scaledCovariance, c0s, zeta);
    }

    public double varEx() {
        needCovariance();
        return VarEx.ofCovariance(scaledCovariance);
    }

    /** CosReg, (||sum of unit rows||^2 - N) / N^2. */
    public double cosReg() {
        noZeroRows();
        return (unitSumSquared - count) / ((double) count * count);
    }

    /** Mean cosine over distinct pairs, (||s||^2 - N) / (N (N - 1)). */
    public double meanCosine() {
        noZeroRows();
        if (count < 2) {
            throw new InvalidInputException("needs at least 2 points, found " + count);
        }
        return (unitSumSquared - count) / ((double) count * (count - 1));
    }

    private void noZeroRows() {
        if (zeroRows > 0) {
            throw new InvalidInputException(zeroRows + " row(s) are the zero vector: they have no direction");
        }
    }
}
