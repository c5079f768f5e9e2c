package tracelens.radioactive;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Scoring texts for the KGW watermark (radioactive.md §7, {@code get_scores_by_t}): for each position cur = h + 1 ..
 * len - 1 (the first full window, position h, is never scored: the original's quirk, kept by default), the token is
 * green or not under the window tokens[cur - h .. cur - 1]. De-duplication over the whole chunk of texts: {@code none}
 * scores every position, {@code v1} skips a window already seen, {@code v2} (recommended) skips a (window, token) pair
 * already seen. In {@code v1}/{@code v2} a window that occurs in the prompts is skipped as well: prompts are
 * watermarked text themselves, and scoring their h-grams again would make any model look radioactive.
 * The p-value is the binomial upper tail P(Bin(N, gamma) >= S); p = 1 when nothing was scored.
 */
public final class WatermarkScore {
    public enum Dedup { NONE, V1, V2 }

    public record Result(int scored, int green, double p, double lnP) {
        public double log10P() {
            return lnP / Math.log(10);
        }
    }

    private WatermarkScore() {}

    public static Result score(GreenList g, List<long[]> texts, List<long[]> prompts, Dedup dedup, boolean scoreFirstFullWindow) {
        int h = g.context();
        Set<String> promptWindows = new HashSet<>();
        if (dedup != Dedup.NONE) {
            for (long[] p : prompts) {
                for (int cur = h; cur <= p.length; cur++) {
                    promptWindows.add(window(p, cur, h));
                }
            }
        }
        Set<String> seen = new HashSet<>();
        int scored = 0;
        int green = 0;
        for (long[] t : texts) {
            for (int cur = scoreFirstFullWindow ? h : h + 1; cur < t.length; cur++) {
                String w = window(t, cur, h);
                if (dedup != Dedup.NONE) {
                    if (promptWindows.contains(w)) {
                        continue;
                    }
                    String k = dedup == Dedup.V1 ? w : w + "|" + t[cur];
                    if (!seen.add(k)) {
                        continue;
                    }
                }
                scored++;
                green += g.isGreen(t, cur) ? 1 : 0;
            }
        }
        if (scored == 0) {
            return new Result(0, 0, 1, 0);
        }
        Statistics.P p = Statistics.binomialUpper(green, scored, g.gamma());
        return new Result(scored, green, p.p(), p.lnP());
    }

    private static String window(long[] t, int cur, int h) {
        StringBuilder b = new StringBuilder();
        for (int i = cur - h; i < cur; i++) {
            b.append(t[i]).append(',');
        }
        return b.toString();
    }
}
