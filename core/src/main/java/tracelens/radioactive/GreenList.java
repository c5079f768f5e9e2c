package tracelens.radioactive;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import tracelens.error.InvalidInputException;

/**
 * The KGW ("Maryland") watermark's green lists (radioactive.md §7): for the h tokens before a position, a seed
 * s = key; s = (s * 35317 + w) mod (2^64 - 1) over the window, oldest first (arbitrary precision in the original, so
 * BigInteger here), and the green list is the first floor(gamma V) entries of a permutation of the vocabulary drawn
 * from s. The permutation is our own documented PRF (the spec's default): SplitMix64 seeded with s driving a
 * Fisher-Yates shuffle, so green lists are reproducible from (key, window) alone. Generation adds delta to the
 * green logits; detection counts green tokens.
 */
public final class GreenList {
    private static final BigInteger MODULUS = BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE);
    private static final BigInteger SALT = BigInteger.valueOf(35317);

    private final long key;
    private final double gamma;
    private final double delta;
    private final int context;
    private final int vocab;
    private final int greenCount;
    private final Map<Long, boolean[]> cache = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, boolean[]> e) {
            return size() > 4096;
        }
    };

    public GreenList(long key, double gamma, double delta, int context, int vocab) {
        if (!(gamma > 0 && gamma < 1)) {
            throw InvalidInputException.field("gamma", " must be in (0, 1), found " + gamma);
        }
        if (!(delta >= 0) || !Double.isFinite(delta)) {
            throw InvalidInputException.field("delta", " must be a finite number >= 0, found " + delta);
        }
        if (context < 1) {
            throw InvalidInputException.field("context_width", " must be at least 1, found " + context);
        }
        if (vocab < 2) {
            throw InvalidInputException.field("vocab", " must be at least 2, found " + vocab);
        }
        this.key = key;
        this.gamma = gamma;
        this.delta = delta;
        this.context = context;
        this.vocab = vocab;
        this.greenCount = (int) Math.floor(gamma * vocab);
        if (greenCount < 1) {
            throw InvalidInputException.field("gamma", " * vocabulary " + vocab + " leaves no green token");
        }
    }

    public int context() {
        return context;
    }

    public int vocab() {
        return vocab;
    }

    public double gamma() {
        return gamma;
    }

    /** The seed of the window tokens[pos - h .. pos - 1]. */
    public long seed(long[] tokens, int pos) {
        BigInteger s = new BigInteger(Long.toUnsignedString(key));
        for (int i = pos - context; i < pos; i++) {
            s = s.multiply(SALT).add(BigInteger.valueOf(tokens[i])).mod(MODULUS);
        }
        return s.longValue();
    }

    /** The green set for the window before {@code pos} (which needs pos >= h). */
    public boolean[] green(long[] tokens, int pos) {
        long s = seed(tokens, pos);
        return cache.computeIfAbsent(s, this::greenOf);
    }

    public boolean isGreen(long[] tokens, int pos) {
        long t = tokens[pos];
        if (t < 0 || t >= vocab) {
            throw new InvalidInputException("token id " + t + " is outside the watermark's vocabulary of " + vocab);
        }
        return green(tokens, pos)[(int) t];
    }

    /** Adds delta to the green logits for the next position after {@code len} tokens (no-op before h tokens). */
    public void bias(float[] logits, long[] tokens, int len) {
        if (logits.length != vocab) {
            throw new InvalidInputException("the model has " + logits.length + " logits, the watermark key's vocabulary " + vocab);
        }
        if (len < context) {
            return;
        }
        boolean[] g = green(tokens, len);
        for (int v = 0; v < vocab; v++) {
            if (g[v]) {
                logits[v] += (float) delta;
            }
        }
    }

    private boolean[] greenOf(long seed) {
        int[] perm = new int[vocab];
        for (int i = 0; i < vocab; i++) {
            perm[i] = i;
        }
        long state = seed;
        boolean[] g = new boolean[vocab];
        for (int i = 0; i < greenCount; i++) { // the first greenCount slots of a Fisher-Yates shuffle
            state += 0x9E3779B97F4A7C15L;
            long z = state;
            z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
            z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
            z ^= z >>> 31;
            int j = i + (int) Long.remainderUnsigned(z, vocab - i);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
            g[perm[i]] = true;
        }
        return g;
    }
}
