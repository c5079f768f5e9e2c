package tracelens.testing;

import ai.djl.ndarray.NDManager;
import java.util.Random;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;
import tracelens.sip.Identifier;
import tracelens.sip.IdentifierTrainer;

/**
 * One SIP identifier training (an MLP on Gaussian sources, the production trainer) and one float64 covariance of its
 * inputs (the engine's dsyrk), every number printed as bits: run in a child JVM under different kernel settings by
 * CrossCpuReproducibilityTest.
 */
public final class CrossCpuProbe {
    private CrossCpuProbe() {}

    /**
     * Runs this probe in a child JVM whose environment lacks {@code remove} and has {@code env} added; returns its
     * "losses" lines and any exception line.
     */
    public static String inChildJvm(java.util.Collection<String> remove, java.util.Map<String, String> env)
            throws java.io.IOException, InterruptedException {
        String text = ChildJvm.run(CrossCpuProbe.class, remove, env);
        return text.lines().filter(l -> l.startsWith("losses ") || l.contains("Exception")).reduce("", (a, b) -> a + b + "\n");
    }

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
            // the covariance behind IsoScore, by the engine's MKL dsyrk (tracelens.runtime.EngineBlas)
            long hc = 17;
            try (tracelens.geometry.Covariance.Accumulator acc = new tracelens.geometry.Covariance.Accumulator()) {
                float[] flat = new float[x.length * d];
                for (int i = 0; i < x.length; i++) {
                    System.arraycopy(x[i], 0, flat, i * d, d);
                }
                acc.addRows(m.create(flat, new ai.djl.ndarray.types.Shape(x.length, d)));
                for (double[] row : acc.build()) {
                    for (double v : row) {
                        hc = 31 * hc + Double.doubleToLongBits(v);
                    }
                }
            }
            System.out.println("losses " + b + "logits " + Long.toHexString(h) + " covariance " + Long.toHexString(hc)
                    + (tracelens.runtime.EngineBlas.available() ? " dsyrk" : " tiles"));
        }
    }
}
