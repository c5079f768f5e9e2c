package tracelens.progress;

/**
 * How long-running library code reports how far it got; the CLI decides how (and whether) to draw it.
 * Calls come from one thread.
 */
public interface Progress {
    /** Starts a task of {@code total} units (0 when unknown). */
    void start(String task, long total);

    /** {@code units} more are done. */
    void advance(long units);

    /** The task is over (also called on failure). */
    void end();

    /** {@code inner} with every task it starts renamed to {@code name} (e.g. "layer 6 MLP" instead of "training"). */
    static Progress named(Progress inner, String name) {
        return new Progress() {
            @Override
            public void start(String task, long total) {
                inner.start(name, total);
            }

            @Override
            public void advance(long units) {
                inner.advance(units);
            }

            @Override
            public void end() {
                inner.end();
            }
        };
    }

    /** Reports nothing. */
    Progress NONE = new Progress() {
        @Override
        public void start(String task, long total) {}

        @Override
        public void advance(long units) {}

        @Override
        public void end() {}
    };
}
