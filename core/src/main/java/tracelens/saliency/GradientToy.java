package tracelens.saliency;

import java.util.Locale;
import tracelens.random.Mt19937;

/**
 * ParchGrad's 2-D gradient-aggregation toy (parchgrad.md §8), drawn exactly as the original notebook draws it: NumPy's
 * legacy Mersenne Twister seeded with an integer, 53-bit uniform doubles, in the order U (10 "high" dim-1 values),
 * V (10 high dim-2), U2 (100 "low" dim-1), V2 (100 low dim-2); U, U2, V2 are (r - 0.5) 0.1 and V is (r - 0.5) 1.0.
 * Many small irrelevant gradients (L) can outweigh a few strong ones (H) in the sum: the point of pruning L.
 */
public final class GradientToy {
    public enum Distribution { UNIFORM, NORMAL }

    /** The vectors and their sums; angles in degrees (atan2), norms Euclidean. */
    public record Result(double[][] high, double[][] low, double[] sumHigh, double[] sumLow, double[] sumAll) {
        public static double angle(double[] v) {
            return Math.toDegrees(Math.atan2(v[1], v[0]));
        }

        public static double norm(double[] v) {
            return Math.hypot(v[0], v[1]);
        }
    }

    private GradientToy() {}

    public static Result draw(long seed, int nHigh, int nLow, Distribution distribution) {
        Mt19937 rng = new Mt19937(seed);
        double[] u = draws(rng, nHigh, 0.1, distribution);
        double[] v = draws(rng, nHigh, 1.0, distribution);
        double[] u2 = draws(rng, nLow, 0.1, distribution);
        double[] v2 = draws(rng, nLow, 0.1, distribution);
        double[][] high = new double[nHigh][];
        double[][] low = new double[nLow][];
        double[] sh = new double[2];
        double[] sl = new double[2];
        for (int i = 0; i < nHigh; i++) {
            high[i] = new double[] {u[i], v[i]};
            sh[0] += u[i];
            sh[1] += v[i];
        }
        for (int j = 0; j < nLow; j++) {
            low[j] = new double[] {u2[j], v2[j]};
            sl[0] += u2[j];
            sl[1] += v2[j];
        }
        return new Result(high, low, sh, sl, new double[] {sh[0] + sl[0], sh[1] + sl[1]});
    }

    /** (r - 0.5) scale for uniform r (the notebook), or a standard normal times scale (the blog's wording). */
    private static double[] draws(Mt19937 rng, int n, double scale, Distribution d) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = d == Distribution.UNIFORM ? (rng.nextDouble() - 0.5) * scale : rng.nextGaussian() * scale;
        }
        return out;
    }

    /** The arrows as a self-contained SVG: blue H and S_H, red L and S_L, black the total, with a legend. */
    public static String svg(Result r) {
        double extent = 1e-9;
        for (double[] p : new double[][] {r.sumHigh(), r.sumLow(), r.sumAll()}) {
            extent = Math.max(extent, Math.max(Math.abs(p[0]), Math.abs(p[1])));
        }
        for (double[][] group : new double[][][] {r.high(), r.low()}) {
            for (double[] p : group) {
                extent = Math.max(extent, Math.max(Math.abs(p[0]), Math.abs(p[1])));
            }
        }
        double scale = 230 / (extent * 1.1);
        StringBuilder s = new StringBuilder();
        s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"520\" viewBox=\"-260 -260 640 520\">\n");
        s.append("<defs>");
        for (String c : new String[] {"blue", "red", "black"}) {
            s.append("<marker id=\"a").append(c).append("\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" markerHeight=\"6\" "
                    + "orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"").append(c).append("\"/></marker>");
        }
        s.append("</defs>\n<line x1=\"-250\" y1=\"0\" x2=\"250\" y2=\"0\" stroke=\"#ccc\"/><line x1=\"0\" y1=\"-250\" x2=\"0\" y2=\"250\" stroke=\"#ccc\"/>\n");
        for (double[] p : r.low()) {
            arrow(s, p, scale, "red", 0.35, 1);
        }
        for (double[] p : r.high()) {
            arrow(s, p, scale, "blue", 0.45, 1);
        }
        arrow(s, r.sumLow(), scale, "red", 1, 3);
        arrow(s, r.sumHigh(), scale, "blue", 1, 3);
        arrow(s, r.sumAll(), scale, "black", 1, 3);
        String[][] legend = {{"blue", "H\u207a, |H| = " + r.high().length}, {"red", "L\u207a, |L| = " + r.low().length},
            {"black", "(H \u222a L)\u207a"}};
        for (int i = 0; i < legend.length; i++) {
            s.append(String.format(Locale.ROOT, "<line x1=\"260\" y1=\"%d\" x2=\"290\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>"
                    + "<text x=\"296\" y=\"%d\" font-family=\"sans-serif\" font-size=\"13\">%s</text>%n",
                    -230 + 22 * i, -230 + 22 * i, legend[i][0], -226 + 22 * i, legend[i][1]));
        }
        return s.append("</svg>\n").toString();
    }

    private static void arrow(StringBuilder s, double[] p, double scale, String colour, double opacity, double width) {
        s.append(String.format(Locale.ROOT, "<line x1=\"0\" y1=\"0\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-opacity=\"%.2f\" "
                + "stroke-width=\"%.1f\" marker-end=\"url(#a%s)\"/>%n", p[0] * scale, -p[1] * scale, colour, opacity, width, colour));
    }
}
