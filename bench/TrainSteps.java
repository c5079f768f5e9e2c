import java.util.Random;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;
import tracelens.sip.Identifier;
import tracelens.sip.IdentifierTrainer;

/**
 * Identifier training speed: the SIP MLP (384 -> 5 x 256 -> 100) with BCE, Adam, the SIP schedule and clipping,
 * batch 64, through IdentifierTrainer (validation each epoch included). Args: threads samples epochs
 */
public class TrainSteps {
    public static void main(String[] args) {
        System.setProperty("ai.djl.pytorch.num_threads", args[0]);
        int n = Integer.parseInt(args[1]);
        int epochs = Integer.parseInt(args[2]);
        int d = 384, k = 100;
        Random r = new Random(0);
        float[][] x = new float[n][d];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = i % k;
            for (int j = 0; j < d; j++) {
                x[i][j] = (float) r.nextGaussian();
            }
        }
        try (var m = DjlRuntime.manager()) {
            var o = new IdentifierTrainer.Options(Identifier.MLP, 1, 64, 1e-3, 5.0, 1000, 0);
            IdentifierTrainer.trainAndPredict(m, x, y, new float[0][], k, o, Progress.NONE); // warm-up
            o = new IdentifierTrainer.Options(Identifier.MLP, epochs, 64, 1e-3, 5.0, 1000, 0);
            long t0 = System.nanoTime();
            var res = IdentifierTrainer.trainAndPredict(m, x, y, new float[0][], k, o, Progress.NONE);
            double s = (System.nanoTime() - t0) / 1e9;
            int fit = n - n / 10;
            int steps = epochs * ((fit + 63) / 64);
            System.out.printf("tracelens: %d steps in %.2f s = %.0f steps/s (threads %s, final loss %.4f, Adam %s)%n", steps, s, steps / s, args[0],
                    res.trainLoss()[res.trainLoss().length - 1], tracelens.train.Adam.onePass() ? "in one pass" : "by the engine");
        }
    }
}
