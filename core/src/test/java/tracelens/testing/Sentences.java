package tracelens.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Deterministic English-like sentences of mixed lengths for parity tests and benchmarks. */
public final class Sentences {
    private static final String[] WORDS = ("the government of the people shall not perish from the earth and our union "
            + "is strong tonight because congress passed a budget that will reduce the deficit while we invest in "
            + "schools roads science energy and the health of every family across this great nation; freedom, "
            + "liberty, justice, economy, war, peace, treaty, tariff, railroads, immigrants, farmers, workers "
            + "don't can't it's 1863 2024 $5 billion — unprecedented naïve café").split(" ");

    private Sentences() {}

    /** {@code n} sentences of 1 to {@code maxWords} words, seeded. */
    public static List<String> mixed(int n, int maxWords, long seed) {
        Random r = new Random(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int len = 1 + r.nextInt(maxWords);
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < len; w++) {
                if (w > 0) {
                    sb.append(' ');
                }
                sb.append(WORDS[r.nextInt(WORDS.length)]);
            }
            out.add(sb.append('.').toString());
        }
        return out;
    }
}
