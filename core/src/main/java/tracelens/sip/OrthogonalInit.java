package tracelens.sip;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;

/**
 * PyTorch's {@code orthogonal_} for a weight of shape [out, in] (Saxe et al., 2014): draw A ~ N(0, 1), transpose it
 * if out < in, A = QR, Q <- Q diag(sign(diag R)), transpose back, scale by the gain. Rows (out <= in) or columns
 * (out > in) are then orthogonal with norm {@code gain}.
 */
public final class OrthogonalInit {
    private OrthogonalInit() {}

    /** Row-major [out, in]. */
    public static float[] weight(int out, int in, double gain, Random random) {
        boolean flip = out < in;
        int rows = flip ? in : out; // rows >= cols for the thin QR
        int cols = flip ? out : in;
        DMatrixRMaj a = new DMatrixRMaj(rows, cols);
        double[] drawn = new double[out * in];
        for (int i = 0; i < drawn.length; i++) {
            drawn[i] = random.nextGaussian(); // drawn in [out, in] order, as torch fills the flattened tensor
        }
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                if (flip) {
                    a.set(i, o, drawn[o * in + i]);
                } else {
                    a.set(o, i, drawn[o * in + i]);
                }
            }
        }
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(rows, cols);
        if (!qr.decompose(a)) {
            throw new IllegalStateException("QR decomposition failed");
        }
        DMatrixRMaj q = qr.getQ(null, true);   // (rows, cols)
        DMatrixRMaj r = qr.getR(null, true);   // (cols, cols)
        float[] w = new float[out * in];
        for (int c = 0; c < cols; c++) {
            double sign = Math.signum(r.get(c, c));
            if (sign == 0) {
                sign = 1;
            }
            for (int row = 0; row < rows; row++) {
                double v = gain * sign * q.get(row, c);
                if (flip) {
                    w[c * in + row] = (float) v;   // Q^T: [out=cols, in=rows]
                } else {
                    w[row * in + c] = (float) v;
                }
            }
        }
        return w;
    }
}
