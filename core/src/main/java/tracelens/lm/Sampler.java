package tracelens.lm;

import java.util.Arrays;
import java.util.Comparator;
import tracelens.error.InvalidInputException;

/**
 * Picks the next token from logits exactly as llama2.c's {@code run.c} does, so that a seed reproduces its samples:
 * greedy (argmax) at temperature 0; otherwise softmax(logits / T) and a draw from xorshift64*, from the whole
 * distribution or, with 0 < top-p < 1, from the smallest set of most likely tokens whose mass exceeds top-p.
 */
public final class Sampler {
    private final float temperature;
    private final float topP;
    private long state;

    public Sampler(float temperature, float topP, long seed) {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw InvalidInputException.field("temperature", " must be a finite number >= 0, found " + temperature);
        }
        if (!(topP >= 0 && topP <= 1)) {
            throw InvalidInputException.field("top_p", " must be in [0, 1], found " + topP);
        }
        this.temperature = temperature;
        this.topP = topP;
        this.state = seed == 0 ? 0x9E3779B97F4A7C15L : seed; // xorshift never leaves state 0
    }

    public boolean greedy() {
        return temperature == 0f;
    }

    /** The next token; {@code logits} is overwritten. */
    public int sample(float[] logits) {
        if (greedy()) {
            return argmax(logits);
        }
        for (int i = 0; i < logits.length; i++) {
            logits[i] /= temperature;
        }
        softmax(logits);
        float coin = randomF32();
        return topP <= 0 || topP >= 1 ? sampleMult(logits, coin) : sampleTopP(logits, topP, coin);
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }

    static void softmax(float[] x) {
        float max = x[0];
        for (float v : x) {
            max = Math.max(max, v);
        }
        float sum = 0f;
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.exp(x[i] - max);
            sum += x[i];
        }
        for (int i = 0; i < x.length; i++) {
            x[i] /= sum;
        }
    }

    static int sampleMult(float[] p, float coin) {
        float cdf = 0f;
        for (int i = 0; i < p.length; i++) {
            cdf += p[i];
            if (coin < cdf) {
                return i;
            }
        }
        return p.length - 1; // rounding
    }

    static int sampleTopP(float[] p, float topP, float coin) {
        float cutoff = (1f - topP) / (p.length - 1); // tokens below this cannot be in the nucleus
        Integer[] idx = new Integer[p.length];
        int n = 0;
        for (int i = 0; i < p.length; i++) {
            if (p[i] >= cutoff) {
                idx[n++] = i;
            }
        }
        Integer[] cand = Arrays.copyOf(idx, n);
        Arrays.sort(cand, Comparator.comparingDouble((Integer i) -> p[i]).reversed());
        float cumulative = 0f;
        int last = n - 1;
        for (int i = 0; i < n; i++) {
            cumulative += p[cand[i]];
            if (cumulative > topP) {
                last = i;
                break;
            }
        }
        float r = coin * cumulative;
        float cdf = 0f;
        for (int i = 0; i <= last; i++) {
            cdf += p[cand[i]];
            if (r < cdf) {
                return cand[i];
            }
        }
        return cand[last];
    }

    /** llama2.c's random_u32: xorshift64* on an unsigned 64-bit state. */
    long randomU32() {
        state ^= state >>> 12;
        state ^= state << 25;
        state ^= state >>> 27;
        return (state * 0x2545F4914F6CDD1DL) >>> 32;
    }

    float randomF32() {
        return (randomU32() >>> 8) / 16777216.0f;
    }
}
