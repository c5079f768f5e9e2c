package tracelens.random;

/**
 * The Mersenne Twister MT19937 (Matsumoto and Nishimura, 1998) with {@code init_genrand} seeding, and NumPy's legacy
 * {@code RandomState.permutation}: a Fisher-Yates shuffle from the end whose index draws mask 32-bit outputs to the
 * smallest 2^b - 1 covering the bound and reject what exceeds it (sip.md §10). With it, "token-row" splits reproduce
 * the original SIP code's {@code RandomState(seed).choice(n, k, replace=False)} index for index.
 */
public final class Mt19937 {
    private static final int N = 624;
    private static final int M = 397;
    private final int[] mt = new int[N];
    private int index;

    public Mt19937(long seed) {
        mt[0] = (int) seed;
        for (int i = 1; i < N; i++) {
            mt[i] = 1812433253 * (mt[i - 1] ^ (mt[i - 1] >>> 30)) + i;
        }
        index = N;
    }

    /** The next 32-bit output, as an unsigned value. */
    public long next32() {
        if (index >= N) {
            for (int k = 0; k < N; k++) {
                int y = (mt[k] & 0x80000000) | (mt[(k + 1) % N] & 0x7fffffff);
                mt[k] = mt[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? 0x9908b0df : 0);
            }
            index = 0;
        }
        int y = mt[index++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y & 0xffffffffL;
    }

    /** A uniform double in [0, 1) with 53 random bits, NumPy's legacy {@code random_sample}: (a 2^26 + b) / 2^53. */
    public double nextDouble() {
        long a = next32() >>> 5;
        long b = next32() >>> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    private double cachedGauss;
    private boolean hasGauss;

    /** A standard normal draw, NumPy's legacy {@code gauss} (the polar method, the second value cached). */
    public double nextGaussian() {
        if (hasGauss) {
            hasGauss = false;
            return cachedGauss;
        }
        double x1;
        double x2;
        double r2;
        do {
            x1 = 2 * nextDouble() - 1;
            x2 = 2 * nextDouble() - 1;
            r2 = x1 * x1 + x2 * x2;
        } while (r2 >= 1 || r2 == 0);
        double f = Math.sqrt(-2 * Math.log(r2) / r2);
        cachedGauss = f * x1;
        hasGauss = true;
        return f * x2;
    }

    /** A uniform integer in [0, max], NumPy's legacy {@code rk_interval} (masked rejection sampling). */
    public long interval(long max) {
        if (max == 0) {
            return 0;
        }
        long mask = max;
        mask |= mask >>> 1;
        mask |= mask >>> 2;
        mask |= mask >>> 4;
        mask |= mask >>> 8;
        mask |= mask >>> 16;
        if (max > 0xffffffffL) {
            throw new IllegalArgumentException("bounds above 2^32 - 1 are not supported");
        }
        long v;
        while ((v = next32() & mask) > max) {
            // rejected: draw again
        }
        return v;
    }

    /** NumPy's {@code RandomState(seed).permutation(n)}. */
    public static int[] legacyPermutation(int n, long seed) {
        Mt19937 r = new Mt19937(seed);
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        for (int i = n - 1; i >= 1; i--) {
            int j = (int) r.interval(i);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }
}
