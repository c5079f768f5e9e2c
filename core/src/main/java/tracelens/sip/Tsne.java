package tracelens.sip;

import java.util.Random;

/**
 * Exact t-SNE (van der Maaten and Hinton, 2008) for the small maps of SIP reports (a few hundred points): Gaussian
 * affinities with a per-point bandwidth found by bisection to the target perplexity, symmetrised; Student-t
 * affinities in 2-D; gradient descent with early exaggeration 12 for the first 250 iterations, momentum 0.5 then
 * 0.8, learning rate 200 and per-coordinate gains, from a seeded N(0, 1e-4) start. O(n^2) per iteration.
 */
public final class Tsne {
    private Tsne() {}

    public static float[][] embed(float[][] x, double perplexity, int iterations, long seed) {
        int n = x.length;
        double[][] d2 = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double s = 0;
                for (int t = 0; t < x[i].length; t++) {
                    double v = x[i][t] - x[j][t];
                    s += v * v;
                }
                d2[i][j] = s;
                d2[j][i] = s;
            }
        }
        double[][] p = affinities(d2, Math.min(perplexity, (n - 1) / 3.0));
        Random r = new Random(seed);
        double[][] y = new double[n][2];
        double[][] velocity = new double[n][2];
        double[][] gains = new double[n][2];
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < 2; k++) {
                y[i][k] = r.nextGaussian() * 1e-2;
                gains[i][k] = 1;
            }
        }
        double[][] num = new double[n][n];
        for (int it = 0; it < iterations; it++) {
            double exaggeration = it < 250 ? 12 : 1;
            double momentum = it < 250 ? 0.5 : 0.8;
            double sum = 0;
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    double dx = y[i][0] - y[j][0];
                    double dy = y[i][1] - y[j][1];
                    double q = 1 / (1 + dx * dx + dy * dy);
                    num[i][j] = q;
                    num[j][i] = q;
                    sum += 2 * q;
                }
            }
            for (int i = 0; i < n; i++) {
                double gx = 0;
                double gy = 0;
                for (int j = 0; j < n; j++) {
                    if (i == j) {
                        continue;
                    }
                    double mult = (exaggeration * p[i][j] - num[i][j] / sum) * num[i][j];
                    gx += 4 * mult * (y[i][0] - y[j][0]);
                    gy += 4 * mult * (y[i][1] - y[j][1]);
                }
                double[] g = {gx, gy};
                for (int k = 0; k < 2; k++) {
                    gains[i][k] = Math.signum(g[k]) != Math.signum(velocity[i][k]) ? gains[i][k] + 0.2 : Math.max(0.01, gains[i][k] * 0.8);
                    velocity[i][k] = momentum * velocity[i][k] - 200 * gains[i][k] * g[k];
                }
            }
            for (int i = 0; i < n; i++) {
                y[i][0] += velocity[i][0];
                y[i][1] += velocity[i][1];
            }
        }
        float[][] out = new float[n][2];
        for (int i = 0; i < n; i++) {
            out[i][0] = (float) y[i][0];
            out[i][1] = (float) y[i][1];
        }
        return out;
    }

    /** Symmetric joint affinities P (sum 1) with each row's bandwidth bisected to the perplexity. */
    static double[][] affinities(double[][] d2, double perplexity) {
        int n = d2.length;
        double target = Math.log(perplexity);
        double[][] p = new double[n][n];
        for (int i = 0; i < n; i++) {
            double beta = 1;
            double lo = Double.NEGATIVE_INFINITY;
            double hi = Double.POSITIVE_INFINITY;
            double[] row = new double[n];
            for (int tries = 0; tries < 64; tries++) {
                double sum = 0;
                for (int j = 0; j < n; j++) {
                    row[j] = j == i ? 0 : Math.exp(-d2[i][j] * beta);
                    sum += row[j];
                }
                double entropy = 0;
                for (int j = 0; j < n; j++) {
                    if (row[j] > 0) {
                        double pj = row[j] / sum;
                        entropy -= pj * Math.log(pj);
                    }
                }
                if (sum == 0 || Double.isNaN(entropy)) { // bandwidth far too narrow: widen it
                    hi = beta;
                    beta = Double.isInfinite(lo) ? beta / 2 : (beta + lo) / 2;
                    continue;
                }
                if (Math.abs(entropy - target) < 1e-5) {
                    break;
                }
                if (entropy > target) {
                    lo = beta;
                    beta = Double.isInfinite(hi) ? beta * 2 : (beta + hi) / 2;
                } else {
                    hi = beta;
                    beta = Double.isInfinite(lo) ? beta / 2 : (beta + lo) / 2;
                }
            }
            double sum = 0;
            for (double v : row) {
                sum += v;
            }
            for (int j = 0; j < n; j++) {
                p[i][j] = sum == 0 ? 0 : row[j] / sum;
            }
        }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double v = Math.max((p[i][j] + p[j][i]) / (2 * n), 1e-12);
                p[i][j] = v;
                p[j][i] = v;
            }
        }
        return p;
    }
}
