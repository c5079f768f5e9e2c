package tracelens.radioactive;

import java.util.Arrays;
import java.util.Random;
import tracelens.error.InvalidInputException;
import tracelens.random.Permutation;

/**
 * Marking published embeddings (radioactive.md §6, closed form): e~ = e + alpha |e| u_y for a seeded fraction q of the
 * rows, u_y the carrier of the row's class. A consumer who trains a classifier on the marked rows tilts each class's
 * weight towards its carrier, which the white-box test then finds.
 */
public final class EmbeddingMarker {
    /** The marked rows and which rows were marked (sorted). */
    public record Result(float[][] rows, int[] marked) {}

    private EmbeddingMarker() {}

    public static Result mark(float[][] x, int[] y, Carriers carriers, double fraction, double alpha, long seed) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw InvalidInputException.field("fraction", " must be in (0, 1], found " + fraction);
        }
        if (!(alpha > 0) || !Double.isFinite(alpha)) {
            throw InvalidInputException.field("alpha", " must be positive, found " + alpha);
        }
        int n = x.length;
        int d = x[0].length;
        if (carriers.dimension() != d) {
            throw new InvalidInputException("the carriers have " + carriers.dimension() + " dimensions, the embeddings " + d);
        }
        int count = Math.max(1, (int) Math.round(fraction * n));
        int[] picked = Arrays.copyOf(Permutation.of(n, new Random(seed)), count);
        Arrays.sort(picked);
        float[][] out = new float[n][];
        for (int i = 0; i < n; i++) {
            out[i] = x[i].clone();
        }
        for (int i : picked) {
            if (y[i] < 0 || y[i] >= carriers.classes()) {
                throw new InvalidInputException("row " + i + " has label " + y[i] + "; the key has " + carriers.classes() + " classes");
            }
            double norm = 0;
            for (float v : x[i]) {
                norm += (double) v * v;
            }
            double scale = alpha * Math.sqrt(norm);
            float[] u = carriers.u()[y[i]];
            for (int j = 0; j < d; j++) {
                out[i][j] = (float) (x[i][j] + scale * u[j]);
            }
        }
        return new Result(out, picked);
    }
}
