package tracelens.random;

import java.util.Random;

/** A uniformly random permutation of 0..n-1 (Fisher-Yates from the end), drawn from a seeded {@link Random}. */
public final class Permutation {
    private Permutation() {}

    public static int[] of(int n, Random random) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
