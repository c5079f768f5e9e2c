package tracelens.testing;

import ai.djl.ndarray.NDManager;
import java.util.Random;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;
import tracelens.sip.Identifier;
import tracelens.sip.IdentifierTrainer;

/**
 * One SIP identifier training (an MLP on Gaussian sources, the production trainer) whose every number is printed as
 * bits: run in a child JVM under different kernel settings by CrossCpuReproducibilityTest.
 */
public final class CrossCpuProbe {
    private CrossCpuProbe() {}

    public static void main(String[] args) {
        int k = 8, d = 96, per = 80;
        Random r = new Random(11);
        float[][] x = new float[k * per][d];
        int[] y = new int[k * per];
        for (int c = 0; c < k; c++) {
            double[] mu = new double[d];
            for (int j = 0; j < d; j++) {
                mu[j] = 0.3 * r.nextGaussian();
            }
            for (int i = 0; i < per; i++) {
                int row = c * per + i;
                y[row] = c;
                for (int j = 0; j < d; j++) {
                    x[row][j] = (float) (mu[j] + r.nextGaussian());
                }
            }
        }
        var o = IdentifierTrainer.Options.of(Identifier.MLP, 4, 5);
        try (NDManager m = DjlRuntime.manager()) {
            var res = IdentifierTrainer.trainAndPredict(m, x, y, x, k, o, Progress.NONE);
            StringBuilder b = new StringBuilder();
            for (double l : res.trainLoss()) {
                b.append(Long.toHexString(Double.doubleToLongBits(l))).append(' ');
            }
            long h = 17;
            for (float z : res.testLogits()) {
                h = 31 * h + Float.floatToIntBits(z);
            }
            System.out.println("losses " + b + "logits " + Long.toHexString(h));
        }
    }
}
