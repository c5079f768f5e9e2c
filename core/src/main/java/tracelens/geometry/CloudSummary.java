package tracelens.geometry;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import tracelens.error.InvalidInputException;
import tracelens.error.NumericalFailureException;

/**
 * What the geometry measures need from a point cloud, streamed so that a cloud larger than
 * memory (an activation file) costs O(n^2) memory, in a single pass: rows are scaled by the power of two at the max |x|
 * of the first nonzero block (the measures built on the covariance are scale-invariant, or rescale C0 instead, so data
 * at 1e+-150 neither overflows nor underflows), checked for non-finite values, accumulated into a float64 covariance on the
 * engine and the sum of unit rows (cosine measures), and offered to a seeded uniform reservoir sample for the
 * neighbour-based estimators (TwoNN, MLE), which need all pairs.
 */
public final class CloudSummary {
    /** Rows of a cloud, read block by block as (count, dims) engine arrays of any float type, in {@code m}. */
    public interface Rows {
        long count();

        int dims();

        NDArray block(NDManager m, long from, int count);
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

            public NDArray block(NDManager m, long from, int count) {
                int n = dims();
                double[] out = new double[count * n];
                for (int i = 0; i < count; i++) {
                    System.arraycopy(p[(int) from + i], 0, out, i * n, n);
                }
                return m.create(out, new Shape(count, n));
            }
        };
    }

    /** The rows of a 2-D tensor of a safetensors file, wrapped where they lie in the mapping. */
    public static Rows of(tracelens.model.SafeTensors file, String name) {
        long[] shape = file.info(name).shape();
        return new Rows() {
            public long count() {
                return shape[0];
            }

            public int dims() {
                return (int) shape[1];
            }

            public NDArray block(NDManager m, long from, int count) {
                return file.rowsArray(m, name, from, count);
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
        // one pass: every block is checked for non-finite values (located exactly, only when present), counted for zero
        // rows, accumulated, and offered to the reservoir. The scale is the power of two at the first nonzero block's
        // max |x|: dividing by it is exact, so where the data lie within 2^+-256 (squares far from overflow and
        // underflow) the rows are not divided at all and the covariance is divided by scale^2 at the end, which gives
        // the same bits; only data beyond that are divided block by block.
        double scale = 0;
        boolean divideRows = false;
        long zero = 0;
        int keep = (int) Math.min(maxSample, m);
        double[][] sample = new double[keep][];
        Random random = new Random(seed);
        double[] unitSum = new double[n];
        double[][] covariance = null;
        try (Covariance.Accumulator acc = new Covariance.Accumulator(); NDManager work = manager.newSubManager()) {
            for (long from = 0; from < m; from += BLOCK_ROWS) {
                int b = (int) Math.min(BLOCK_ROWS, m - from);
                try (NDManager scope = work.newSubManager()) {
                    NDArray raw = rows.block(scope, from, b).toType(DataType.FLOAT64, true); // our own copy: divided in place
                    if (scale == 0) {
                        double blockMax = Math.max(raw.max().getDouble(), -raw.min().getDouble()); // NaN propagates
                        if (!Double.isFinite(blockMax)) {
                            throw nonFinite(raw, from, n);
                        }
                        if (blockMax > 0) {
                            scale = Math.scalb(1.0, Math.getExponent(blockMax));
                            divideRows = Math.abs(Math.getExponent(blockMax)) > 256;
                        }
                    }
                    // reservoir sampling (Algorithm R): every row ends up in the sample with probability keep/m
                    List<Integer> slots = new ArrayList<>();
                    List<Long> picked = new ArrayList<>();
                    for (int i = 0; i < b; i++) {
                        long row = from + i;
                        int slot = row < keep ? (int) row : (int) nextLong(random, row + 1);
                        if (slot < keep) {
                            slots.add(slot);
                            picked.add((long) i);
                        }
                    }
                    if (!picked.isEmpty()) {
                        long[] idx = picked.stream().mapToLong(Long::longValue).toArray();
                        double[] v = raw.get(scope.create(idx)).toDoubleArray();
                        for (int k = 0; k < idx.length; k++) {
                            sample[slots.get(k)] = java.util.Arrays.copyOfRange(v, k * n, (k + 1) * n); // later rows overwrite
                        }
                    }
                    NDArray xs = divideRows ? raw.divi(scale) : raw;
                    // unit rows: xsᵀ (1 / |row|) sums them in one product; a zero row stays 0 (it is counted apart and
                    // makes the cosine measures undefined); a NaN or infinity anywhere in the block makes the sum
                    // non-finite (inf / inf), which is how later blocks are checked
                    NDArray norms = xs.norm(new int[] {1}, true);
                    zero += norms.eq(0).sum().getLong();
                    NDArray inverse = scope.ones(norms.getShape(), DataType.FLOAT64).divi(norms.maximum(Double.MIN_NORMAL));
                    double[] blockUnits = xs.transpose().matMul(inverse).toDoubleArray();
                    for (int j = 0; j < n; j++) {
                        if (!Double.isFinite(blockUnits[j])) {
                            throw nonFinite(raw, from, n);
                        }
                        unitSum[j] += blockUnits[j];
                    }
                    acc.addRows(xs, true); // last: shifts the block in place
                }
            }
            if (m >= 2) {
                covariance = acc.build();
                if (!divideRows && scale > 0) {
                    double s2 = scale * scale;
                    for (double[] row : covariance) {
                        for (int j = 0; j < n; j++) {
                            row[j] /= s2; // a power of two: exact, as dividing every row first
                        }
                    }
                }
                for (double[] row : covariance) {
                    for (double v : row) {
                        if (!Double.isFinite(v)) {
                            throw new NumericalFailureException("the values span more than about 1e150 between the first block"
                                    + " of rows and a later one: the covariance overflows in double");
                        }
                    }
                }
            }
        }
        if (scale == 0) {
            scale = 1;
        }
        double sq = 0;
        for (double v : unitSum) {
            sq += v * v;
        }
        return new CloudSummary(m, n, scale, covariance, sq, zero, sample);
    }

    /** The first non-finite value of a block (whose reductions showed one), located by row and column. */
    private static NumericalFailureException nonFinite(NDArray block, long from, int n) {
        double[] v = block.toDoubleArray();
        for (int i = 0; i < v.length; i++) {
            if (!Double.isFinite(v[i])) {
                return new NumericalFailureException("row " + (from + i / n + 1) + ", column " + (i % n + 1) + " is " + v[i]);
            }
        }
        return new NumericalFailureException("rows " + (from + 1) + " to " + (from + v.length / n)
                + ": the values overflow double precision in their sums");
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
        return isoScoreStar(c0, zeta, false);
    }

    /** As {@link #isoScoreStar(double[][], double)}, optionally with the reference's float32 constants. */
    public double isoScoreStar(double[][] c0, double zeta, boolean emulateTorchConstants) {
        needCovariance();
        double s2 = scale * scale;
        double[][] c0s = new double[dims][dims];
        for (int a = 0; a < dims; a++) {
            for (int b = 0; b < dims; b++) {
                c0s[a][b] = c0[a][b] / s2;
            }
        }
        if (emulateTorchConstants) {
            if (!(zeta >= 0 && zeta <= 1)) {
                throw new InvalidInputException("zeta must be in [0, 1], found " + zeta);
            }
            return IsoScore.starTorchFaithful(scaledCovariance, c0s, zeta);
        }
        return IsoScore.starOfCovariance(scaledCovariance, c0s, zeta);
    }

    public double varEx() {
        needCovariance();
        return VarEx.ofCovariance(scaledCovariance);
    }

    /** CosReg, (||sum of unit rows||^2 - N) / N^2. */
    public double cosReg() {
        return cosReg(unitSumSquared, count, zeroRows);
    }

    /** Mean cosine over distinct pairs, (||s||^2 - N) / (N (N - 1)). */
    public double meanCosine() {
        return meanCosine(unitSumSquared, count, zeroRows);
    }

    /** CosReg from ||s||^2 (s the sum of the N unit rows); undefined when any row is zero. Also {@link Moments}'. */
    static double cosReg(double unitSumSquared, long count, long zeroRows) {
        noZeroRows(zeroRows);
        return (unitSumSquared - count) / ((double) count * count);
    }

    /** The mean cosine over distinct pairs from ||s||^2; needs two rows, none zero. Also {@link Moments}'. */
    static double meanCosine(double unitSumSquared, long count, long zeroRows) {
        noZeroRows(zeroRows);
        if (count < 2) {
            throw new InvalidInputException("needs at least 2 points, found " + count);
        }
        return (unitSumSquared - count) / ((double) count * (count - 1));
    }

    private static void noZeroRows(long zeroRows) {
        if (zeroRows > 0) {
            throw new InvalidInputException(zeroRows + " row(s) are the zero vector: they have no direction");
        }
    }
}
