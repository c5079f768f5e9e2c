package tracelens.random;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Mt19937Test {
    @Test
    void reproducesNumpysLegacyPermutationAndChoice() {
        // expected values printed by numpy 1.24 (np.random.RandomState(seed).permutation / choice)
        assertThat(Mt19937.legacyPermutation(10, 0)).containsExactly(2, 8, 4, 9, 1, 6, 7, 3, 0, 5);
        // choice(20, 14, replace=False) is the first 14 entries of permutation(20)
        assertThat(Arrays.copyOf(Mt19937.legacyPermutation(20, 42), 14))
                .containsExactly(0, 17, 15, 1, 8, 5, 11, 3, 18, 16, 13, 2, 9, 19);
        assertThat(Arrays.copyOf(Mt19937.legacyPermutation(1000, 7), 8)).containsExactly(778, 334, 271, 802, 216, 408, 812, 94);
        assertThat(Arrays.copyOf(Mt19937.legacyPermutation(50, (1L << 31) + 5), 6)).containsExactly(25, 20, 29, 34, 27, 5);
    }

    @Test
    void firstOutputOfTheReferenceSeed() {
        assertThat(new Mt19937(5489).next32()).isEqualTo(3499211612L); // mt19937ar.c's default seed
    }
}
