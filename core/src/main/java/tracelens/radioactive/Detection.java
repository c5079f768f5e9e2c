package tracelens.radioactive;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.linsol.LinearSolverDense;
import tracelens.error.InvalidInputException;

/**
 * White-box radioactivity detection (radioactive.md §4): per class the cosine between the suspect classifier's
 * (normalised) weight row and the class's secret carrier, its p-value under "random direction", and Fisher's
 * combination over classes. With features of the same held-out images from the marking network (n x d_m) and the
 * suspect (n x d_t), the suspect classifier is first moved into the marker's feature space: M = argmin ||F_m M - F_t||
 * (least squares, minimum norm when F_m is rank-deficient), W' = W_t M^T.
 */
public final class Detection {
    /** classifier: the suspect's rows in the marker's space (after alignment), those the cosines were taken with. */
    public record Result(double[] cosines, double[] pValues, double[] lnPValues, double combinedP, double lnCombinedP,
            double alignmentResidual, double[][] classifier) {
        public double log10CombinedP() {
            return lnCombinedP / Math.log(10);
        }
    }

    private Detection() {}

    /** carriers (C x d), classifier (C x d); each row of the classifier is normalised first. */
    public static Result detect(double[][] carriers, double[][] classifier) {
        return detect(carriers, classifier, Double.NaN);
    }

    private static Result detect(double[][] carriers, double[][] classifier, double residual) {
        int c = carriers.length;
        if (c == 0 || classifier.length != c) {
            throw InvalidInputException.field("classifier", " has " + classifier.length + " classes, the carriers " + c);
        }
        int d = carriers[0].length;
        double[] cos = new double[c];
        double[] p = new double[c];
        double[] lnP = new double[c];
        for (int k = 0; k < c; k++) {
            if (classifier[k].length != d || carriers[k].length != d) {
                throw InvalidInputException.field("classifier", " rows have " + classifier[k].length + " dimensions, the carriers "
                        + d + " (pass reference and suspect features to align a different feature space)");
            }
            double dot = 0;
            double nw = 0;
            double nu = 0;
            for (int j = 0; j < d; j++) {
                check(classifier[k][j], "classifier", k);
                check(carriers[k][j], "carriers", k);
                dot += classifier[k][j] * carriers[k][j];
                nw += classifier[k][j] * classifier[k][j];
                nu += carriers[k][j] * carriers[k][j];
            }
            if (nw == 0 || nu == 0) {
                throw InvalidInputException.field(nw == 0 ? "classifier" : "carriers", " row " + k + " is all zero");
            }
            cos[k] = Math.max(-1, Math.min(1, dot / Math.sqrt(nw * nu)));
            Statistics.P pk = Statistics.cosine(cos[k], d);
            p[k] = pk.p();
            lnP[k] = pk.lnP();
        }
        Statistics.P combined = Statistics.fisher(lnP);
        return new Result(cos, p, lnP, combined.p(), combined.lnP(), residual, classifier);
    }

    /** Aligns the suspect's classifier (C x d_t) to the marker's space through features of the same images, then detects. */
    public static Result detect(double[][] carriers, double[][] classifier, double[][] referenceFeatures, double[][] suspectFeatures) {
        return detect(carriers, classifier, referenceFeatures, suspectFeatures, 0);
    }

    /**
     * As above; {@code ridge} > 0 solves (F_m^T F_m + ridge * s * I) M = F_m^T F_t instead, s the mean eigenvalue of
     * F_m^T F_m: when the held-out features are ill-conditioned (few images, anisotropic embeddings), the plain
     * least-squares M takes huge values along F_m's weakest directions and the moved classifier points along them
     * whatever the suspect learnt. 0 is the spec's minimum-norm least squares.
     */
    public static Result detect(double[][] carriers, double[][] classifier, double[][] referenceFeatures, double[][] suspectFeatures,
            double ridge) {
        if (!(ridge >= 0) || !Double.isFinite(ridge)) {
            throw InvalidInputException.field("ridge", " must be a finite number >= 0, found " + ridge);
        }
        int n = referenceFeatures.length;
        if (n == 0 || suspectFeatures.length != n) {
            throw InvalidInputException.field("suspect_features", " has " + suspectFeatures.length + " rows, the reference features " + n);
        }
        int dm = referenceFeatures[0].length;
        int dt = suspectFeatures[0].length;
        if (classifier.length > 0 && classifier[0].length != dt) {
            throw InvalidInputException.field("classifier", " rows have " + classifier[0].length + " dimensions, the suspect features " + dt);
        }
        DMatrixRMaj fm = new DMatrixRMaj(referenceFeatures);
        DMatrixRMaj ft = new DMatrixRMaj(suspectFeatures);
        DMatrixRMaj m = new DMatrixRMaj(dm, dt);
        if (ridge == 0) {
            LinearSolverDense<DMatrixRMaj> solver = LinearSolverFactory_DDRM.pseudoInverse(true); // minimum norm, as lstsq
            if (!solver.setA(fm.copy())) {
                throw new tracelens.error.NumericalFailureException("the least-squares alignment failed (reference features)");
            }
            solver.solve(ft, m);
        } else {
            DMatrixRMaj gram = new DMatrixRMaj(dm, dm);
            CommonOps_DDRM.multTransA(fm, fm, gram);
            double shift = ridge * CommonOps_DDRM.trace(gram) / dm;
            for (int i = 0; i < dm; i++) {
                gram.add(i, i, shift);
            }
            DMatrixRMaj rhs = new DMatrixRMaj(dm, dt);
            CommonOps_DDRM.multTransA(fm, ft, rhs);
            if (!CommonOps_DDRM.solveSPD(gram, rhs, m)) {
                throw new tracelens.error.NumericalFailureException("the ridge alignment failed (reference features)");
            }
        }
        DMatrixRMaj fit = new DMatrixRMaj(n, dt);
        CommonOps_DDRM.mult(fm, m, fit);
        CommonOps_DDRM.subtractEquals(fit, ft);
        double residual = CommonOps_DDRM.elementSumAbs(CommonOps_DDRM.elementMult(fit, fit, null)); // squared Frobenius norm
        DMatrixRMaj w = new DMatrixRMaj(classifier);
        DMatrixRMaj moved = new DMatrixRMaj(classifier.length, dm);
        CommonOps_DDRM.multTransB(w, m, moved); // W_t M^T
        double[][] rows = new double[classifier.length][dm];
        for (int k = 0; k < classifier.length; k++) {
            System.arraycopy(moved.data, k * dm, rows[k], 0, dm);
        }
        return detect(carriers, rows, residual);
    }

    private static void check(double v, String field, int row) {
        if (!Double.isFinite(v)) {
            throw InvalidInputException.field(field, " row " + row + " holds a non-finite value (" + v + ")");
        }
    }
}
