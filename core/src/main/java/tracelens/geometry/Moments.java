package tracelens.geometry;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.Serializable;
import tracelens.error.NumericalFailureException;

/**
 * The partial sums behind the covariance-based and cosine measures of a set of rows, in double precision, mergeable in
 * any order and grouping (a tree aggregation over Spark partitions, issue 18): row count, mean, the centred cross-product
 * matrix M2 = sum (x - mean)(x - mean)^T (merged by Chan, Golub and LeVeque's pairwise update, which keeps the
 * cancellation of sum(xx^T) - N mean mean^T away), the sum of the rows scaled to unit length, and the zero rows.
 * From these: the covariance M2 / (N - 1), so IsoScore, IsoScore* and VarEx, and CosReg and the mean cosine, as
 * {@link CloudSummary} computes them in one process.
 */
public final class Moments implements Serializable {
    private static final long serialVersionUID = 1L;

    private final int dims;
    private long count;
    private final double[] mean;
    private final double[] m2; // row-major dims x dims, full
    private final double[] unitSum;
    private long zeroRows;

    public Moments(int dims) {
        this.dims = dims;
        this.mean = new double[dims];
        this.m2 = new double[dims * dims];
        this.unitSum = new double[dims];
    }

    /** Adds a block of rows (a 2-D engine array of any float type) by one float64 matrix product on the engine. */
    public Moments addRows(NDArray rows, String where) {
        long[] shape = rows.getShape().getShape();
        if (shape.length != 2 || shape[1] != dims) {
            throw new IllegalArgumentException("rows of shape " + java.util.Arrays.toString(shape) + ", expected (b, " + dims + ")");
        }
        if (shape[0] == 0) {
            return this;
        }
        try (var scope = rows.getManager().newSubManager()) {
            NDArray x = rows.toType(DataType.FLOAT64, true);
            x.attach(scope);
            double[] values = null;
            double max = Math.max(x.max().getDouble(), -x.min().getDouble());
            if (!Double.isFinite(max)) {
                values = x.toDoubleArray();
                for (int i = 0; i < values.length; i++) {
                    if (!Double.isFinite(values[i])) {
                        throw new NumericalFailureException(where + ": row " + (i / dims + 1) + " of the block, column " + (i % dims + 1)
                                + " is " + values[i]);
                    }
                }
            }
            long b = shape[0];
            NDArray blockMean = x.mean(new int[] {0});
            NDArray centred = x.sub(blockMean);
            Moments block = new Moments(dims);
            block.count = b;
            System.arraycopy(blockMean.toDoubleArray(), 0, block.mean, 0, dims);
            if (tracelens.runtime.EngineBlas.available()) {
                // the upper triangle by the engine's dsyrk (half the multiplications), mirrored
                try (com.sun.jna.Memory gram = tracelens.runtime.EngineBlas.matrix(dims)) {
                    tracelens.runtime.EngineBlas.syrkUpper(centred, gram, dims);
                    System.arraycopy(tracelens.runtime.EngineBlas.symmetric(gram, dims), 0, block.m2, 0, dims * dims);
                }
            } else {
                System.arraycopy(centred.transpose().matMul(centred).toDoubleArray(), 0, block.m2, 0, dims * dims);
            }
            NDArray norms = x.norm(new int[] {1}, true);
            block.zeroRows = norms.eq(0).sum().getLong();
            NDArray floor = scope.create(Double.MIN_NORMAL);
            System.arraycopy(x.div(norms.maximum(floor)).sum(new int[] {0}).toDoubleArray(), 0, block.unitSum, 0, dims);
            return merge(block);
        }
    }

    /** This plus {@code o} (in place; returns this). */
    public Moments merge(Moments o) {
        if (o.dims != dims) {
            throw new IllegalArgumentException("merging moments of " + o.dims + " and " + dims + " dimensions");
        }
        if (o.count == 0) {
            return this;
        }
        if (count == 0) {
            count = o.count;
            System.arraycopy(o.mean, 0, mean, 0, dims);
            System.arraycopy(o.m2, 0, m2, 0, m2.length);
            System.arraycopy(o.unitSum, 0, unitSum, 0, dims);
            zeroRows = o.zeroRows;
            return this;
        }
        double na = count;
        double nb = o.count;
        double n = na + nb;
        double[] delta = new double[dims];
        for (int j = 0; j < dims; j++) {
            delta[j] = o.mean[j] - mean[j];
        }
        double w = na * nb / n;
        for (int a = 0; a < dims; a++) {
            double da = delta[a] * w;
            int row = a * dims;
            for (int c = 0; c < dims; c++) {
                m2[row + c] += o.m2[row + c] + da * delta[c];
            }
        }
        for (int j = 0; j < dims; j++) {
            mean[j] += delta[j] * nb / n;
            unitSum[j] += o.unitSum[j];
        }
        count += o.count;
        zeroRows += o.zeroRows;
        return this;
    }

    public long count() {
        return count;
    }

    public int dims() {
        return dims;
    }

    /** The sample covariance (ddof 1), symmetrised. */
    public double[][] covariance() {
        if (count < 2) {
            throw new tracelens.error.InvalidInputException("needs at least 2 points, found " + count);
        }
        double[][] c = new double[dims][dims];
        for (int a = 0; a < dims; a++) {
            for (int b = a; b < dims; b++) {
                double v = 0.5 * (m2[a * dims + b] + m2[b * dims + a]) / (count - 1);
                c[a][b] = v;
                c[b][a] = v;
            }
        }
        return c;
    }

    /** ||sum of unit rows||^2, from which CosReg and the mean cosine follow. */
    public double unitSumSquared() {
        double sq = 0;
        for (double v : unitSum) {
            sq += v * v;
        }
        return sq;
    }

    public long zeroRows() {
        return zeroRows;
    }

    /** CosReg, (||s||^2 - N) / N^2, as {@link CloudSummary#cosReg()}. */
    public double cosReg() {
        return CloudSummary.cosReg(unitSumSquared(), count, zeroRows);
    }

    /** Mean cosine over distinct pairs, as {@link CloudSummary#meanCosine()}. */
    public double meanCosine() {
        return CloudSummary.meanCosine(unitSumSquared(), count, zeroRows);
    }
}
