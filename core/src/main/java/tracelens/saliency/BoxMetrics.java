package tracelens.saliency;

/**
 * parchgrad.md §7's energy-in-box measures of an attribution map R (H x W, |value|, NaN as 0) and a box
 * [x0, x1) x [y0, y1): mu_in = r_in / r_tot, mu_in_w = mu_in * full / size_in (1 when the energy is spread evenly),
 * mu_out and mu_out_w likewise; invalid when the box or its complement is empty, or the map is all zero.
 */
public record BoxMetrics(boolean valid, double muIn, double muInW, double muOut, double muOutW, double rIn, double rOut,
        int sizeIn, int sizeOut) {

    public static BoxMetrics of(float[] map, int h, int w, int[] box) {
        int x0 = Math.max(0, box[0]);
        int y0 = Math.max(0, box[1]);
        int x1 = Math.min(w, box[2]);
        int y1 = Math.min(h, box[3]);
        int full = h * w;
        int sizeIn = Math.max(0, x1 - x0) * Math.max(0, y1 - y0);
        int sizeOut = full - sizeIn;
        double tot = 0;
        double in = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                float v = map[y * w + x];
                double r = Float.isNaN(v) ? 0 : Math.abs(v);
                tot += r;
                if (y >= y0 && y < y1 && x >= x0 && x < x1) {
                    in += r;
                }
            }
        }
        if (sizeIn == 0 || sizeOut == 0 || tot == 0) {
            return new BoxMetrics(false, Double.NaN, Double.NaN, Double.NaN, Double.NaN, in, tot - in, sizeIn, sizeOut);
        }
        double muIn = in / tot;
        double muOut = (tot - in) / tot;
        return new BoxMetrics(true, muIn, muIn * full / sizeIn, muOut, muOut * full / sizeOut, in, tot - in, sizeIn, sizeOut);
    }
}
