package tracelens.cli;

import picocli.CommandLine.Option;
import tracelens.error.InvalidInputException;

/** Engine settings shared by the commands that run a model. */
public final class RuntimeOptions {
    @Option(names = "--threads", paramLabel = "N",
            description = "Intra-op threads for the engine (default: all cores, or $TRACELENS_THREADS).")
    Integer threads;

    @Option(names = "--device", paramLabel = "cpu|cuda[:N]|auto", defaultValue = "cpu",
            description = "Where models run: the CPU, a CUDA device (needs the CUDA build, see the README), or auto (the first"
                    + " CUDA device when there is one). (default: ${DEFAULT-VALUE})")
    String device;

    /** Applied by {@link Main}'s execution strategy before any command runs: the engine reads its thread count once. */
    void apply() {
        tracelens.runtime.DjlRuntime.setDevice(device == null ? "cpu" : device);
        if (threads != null) {
            if (threads <= 0) {
                throw new InvalidInputException("--threads must be positive, found " + threads);
            }
            System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        }
    }
}
