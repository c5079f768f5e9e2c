package tracelens.train;

/** The learning-rate multiplier of update {@code step} (0-based) out of {@code total}. */
@FunctionalInterface
public interface LrSchedule {
    double multiplier(int step, int total);

    /** The learning rate as given (PiFi: Adam without a scheduler). */
    static LrSchedule constant() {
        return (step, total) -> 1.0;
    }

    /**
     * Hugging Face's {@code get_linear_schedule_with_warmup} with one warm-up step, applied before the step as the SIP
     * code does: update k uses m(k - 1), with m(s) = s for s < 1, else max(0, (S - s) / (S - 1)); so the first update
     * has multiplier 0.
     */
    static LrSchedule sipLinear() {
        return sipLinear(1);
    }

    /**
     * As {@link #sipLinear()} with {@code warmup} warm-up steps (the original's --warmup_steps): m(s) = s / W for
     * s < W, else max(0, (S - s) / max(1, S - W)), update k using m(k - 1).
     */
    static LrSchedule sipLinear(int warmup) {
        if (warmup < 0) {
            throw tracelens.error.InvalidInputException.field("warmup_steps", " must be at least 0, found " + warmup);
        }
        return (step, total) -> step < warmup ? (double) step / warmup : Math.max(0, (double) (total - step) / Math.max(1, total - warmup));
    }

    /** Linear warm-up over round(fraction * total) steps to the full rate, then linear decay to 0 at the end. */
    static LrSchedule warmupLinear(double fraction) {
        return (step, total) -> {
            int warm = (int) Math.round(fraction * total);
            return step < warm ? (step + 1.0) / warm : Math.max(0.0, (double) (total - step) / Math.max(1, total - warm));
        };
    }
}
