package tracelens.radioactive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.math.BigInteger;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The KGW green lists (seeding, size, determinism) and the scoring rules (first window, de-duplication, prompts). */
class WatermarkTest {
    @Test
    void seedsFollowTheSaltedHashInArbitraryPrecision() {
        GreenList g = new GreenList(0, 0.25, 2, 2, 512);
        assertThat(g.seed(new long[] {1, 2, 9}, 2)).isEqualTo(35317L + 2); // (0 * 35317 + 1) * 35317 + 2
        long key = -2L; // 2^64 - 2 as an unsigned key: the product leaves 64 bits
        GreenList big = new GreenList(key, 0.25, 2, 3, 512);
        BigInteger m = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
        BigInteger s = new BigInteger(Long.toUnsignedString(key));
        for (long w : new long[] {500, 7, 311}) {
            s = s.multiply(BigInteger.valueOf(35317)).add(BigInteger.valueOf(w)).mod(m);
        }
        assertThat(big.seed(new long[] {500, 7, 311, 0}, 3)).isEqualTo(s.longValue());
    }

    @Test
    void greenListsHoldGammaOfTheVocabularyAndDependOnlyOnKeyAndWindow() {
        GreenList g = new GreenList(42, 0.25, 2, 2, 1000);
        boolean[] a = g.green(new long[] {3, 4, 5}, 2);
        int count = 0;
        for (boolean b : a) {
            count += b ? 1 : 0;
        }
        assertThat(count).isEqualTo(250);
        assertThat(new GreenList(42, 0.25, 2, 2, 1000).green(new long[] {9, 3, 4}, 3)).containsExactly(a); // same window
        assertThat(g.green(new long[] {3, 5, 5}, 2)).isNotEqualTo(a);
        assertThat(new GreenList(43, 0.25, 2, 2, 1000).green(new long[] {3, 4, 5}, 2)).isNotEqualTo(a);
        // random text is green about gamma of the time; biased logits pick green tokens
        Random r = new Random(1);
        long[] text = new long[20_000];
        for (int i = 0; i < text.length; i++) {
            text[i] = r.nextInt(1000);
        }
        WatermarkScore.Result rnd = WatermarkScore.score(g, List.of(text), List.of(), WatermarkScore.Dedup.NONE, false);
        assertThat((double) rnd.green() / rnd.scored()).isCloseTo(0.25, within(0.015));
        assertThat(rnd.p()).isGreaterThan(1e-3);
        float[] logits = new float[1000];
        g.bias(logits, new long[] {3, 4}, 2);
        for (int v = 0; v < 1000; v++) {
            assertThat(logits[v]).isEqualTo(a[v] ? 2f : 0f);
        }
    }

    @Test
    void scoringSkipsTheFirstFullWindowDuplicatesAndPromptWindows() {
        GreenList g = new GreenList(5, 0.5, 2, 1, 4);
        long[] t = {1, 2, 1, 2, 1, 2};
        // h = 1: positions 2..5 are scored (position 1, the first full window, is not)
        WatermarkScore.Result none = WatermarkScore.score(g, List.of(t), List.of(), WatermarkScore.Dedup.NONE, false);
        assertThat(none.scored()).isEqualTo(4);
        assertThat(WatermarkScore.score(g, List.of(t), List.of(), WatermarkScore.Dedup.NONE, true).scored()).isEqualTo(5);
        // v2: the pairs (2,1) and (1,2) once each; v1: the windows [2] and [1] once each
        assertThat(WatermarkScore.score(g, List.of(t), List.of(), WatermarkScore.Dedup.V2, false).scored()).isEqualTo(2);
        assertThat(WatermarkScore.score(g, List.of(t, new long[] {3, 3, 0}), List.of(), WatermarkScore.Dedup.V1, false).scored()).isEqualTo(3);
        // a prompt holding the window [1] removes every position after a 1
        WatermarkScore.Result prompt = WatermarkScore.score(g, List.of(t), List.of(new long[] {1}), WatermarkScore.Dedup.V2, false);
        assertThat(prompt.scored()).isEqualTo(1);
        // the p-value is the binomial tail of what was counted
        int green = 0;
        for (int pos = 2; pos < t.length; pos++) {
            green += g.isGreen(t, pos) ? 1 : 0;
        }
        assertThat(none.green()).isEqualTo(green);
        assertThat(none.p()).isCloseTo(Statistics.binomialUpper(green, 4, 0.5).p(), within(1e-15));
        WatermarkScore.Result empty = WatermarkScore.score(g, List.of(new long[] {1}), List.of(), WatermarkScore.Dedup.V2, false);
        assertThat(empty.scored()).isZero();
        assertThat(empty.p()).isEqualTo(1);
    }
}
