package tracelens.sip;

import java.util.Locale;

/**
 * Colours of the identify pages (sip.md §8): sources 0..19 get tab20's colours (as the original), 20..39 tab20b's, so
 * up to 40 sources are told apart (beyond that they repeat); unknown (-1) is white. Text on a dark colour is white
 * ({@link #text}). Confidence c is drawn as (1-c) white + c (0, 1, 111/255), channels rounded to 0..255.
 */
public final class SourceColours {
    private static final String[] TAB20 = {"1f77b4", "aec7e8", "ff7f0e", "ffbb78", "2ca02c", "98df8a", "d62728", "ff9896",
        "9467bd", "c5b0d5", "8c564b", "c49c94", "e377c2", "f7b6d2", "7f7f7f", "c7c7c7", "bcbd22", "dbdb8d", "17becf", "9edae5"};

    private static final String[] TAB20B = {"393b79", "5254a3", "6b6ecf", "9c9ede", "637939", "8ca252", "b5cf6b", "cedb9c",
        "8c6d31", "bd9e39", "e7ba52", "e7cb94", "843c39", "ad494a", "d6616b", "e7969c", "7b4173", "a55194", "ce6dbd", "de9ed6"};

    private SourceColours() {}

    public static String label(int label) {
        if (label < 0) {
            return "#ffffff";
        }
        int i = label % 40;
        return "#" + (i < 20 ? TAB20[i] : TAB20B[i - 20]);
    }

    /** Black or white, whichever reads better on the label's colour (relative luminance above or below 0.4). */
    public static String text(int label) {
        String c = label(label);
        double r = Integer.parseInt(c.substring(1, 3), 16) / 255.0;
        double g = Integer.parseInt(c.substring(3, 5), 16) / 255.0;
        double b = Integer.parseInt(c.substring(5, 7), 16) / 255.0;
        return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.4 ? "#000000" : "#ffffff";
    }

    public static String confidence(double c) {
        double v = Math.max(0, Math.min(1, c));
        int r = (int) Math.round((1 - v) * 255);
        int g = 255;
        int b = (int) Math.round(((1 - v) + v * 111.0 / 255) * 255);
        return String.format(Locale.ROOT, "#%02x%02x%02x", r, g, b);
    }
}
