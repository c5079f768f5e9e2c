package tracelens.sip;

import java.util.Locale;

/**
 * Colours of the identify pages (sip.md §8): source c gets tab20 colour c mod 20, unknown (-1) is white; confidence
 * c is drawn as (1-c) white + c (0, 1, 111/255), channels rounded to 0..255.
 */
public final class SourceColours {
    private static final String[] TAB20 = {"1f77b4", "aec7e8", "ff7f0e", "ffbb78", "2ca02c", "98df8a", "d62728", "ff9896",
        "9467bd", "c5b0d5", "8c564b", "c49c94", "e377c2", "f7b6d2", "7f7f7f", "c7c7c7", "bcbd22", "dbdb8d", "17becf", "9edae5"};

    private SourceColours() {}

    public static String label(int label) {
        return label < 0 ? "#ffffff" : "#" + TAB20[label % 20];
    }

    public static String confidence(double c) {
        double v = Math.max(0, Math.min(1, c));
        int r = (int) Math.round((1 - v) * 255);
        int g = 255;
        int b = (int) Math.round(((1 - v) + v * 111.0 / 255) * 255);
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, b);
    }
}
