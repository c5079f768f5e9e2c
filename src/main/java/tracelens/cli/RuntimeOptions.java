package tracelens.cli;

import picocli.CommandLine.Option;
import tracelens.error.InvalidInputException;

/** Engine settings shared by the commands that run a model. */
public final class RuntimeOptions {
    @Option(names = "--threads", paramLabel = "N",
            description = "Intra-op threads for the engine (default: all cores, or $TRACELENS_THREADS).")
    Integer threads;

    /** Applied by {@link Main}'s execution strategy before any command runs: the engine reads its thread count once. */
    void apply() {
        if (threads != null) {
            if (threads <= 0) {
                throw new InvalidInputException("--threads must be positive, found " + threads);
            }
            System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        }
    }
}
