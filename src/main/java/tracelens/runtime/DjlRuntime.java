package tracelens.runtime;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;

/**
 * Configures DJL's PyTorch engine to run fully offline from the bundled native jar
 * (shared/specs/runtime.md §2). Call {@link #manager()} instead of {@code NDManager.newBaseManager()}
 * so the settings are in place before the engine loads.
 */
public final class DjlRuntime {
    private static volatile boolean configured;

    private DjlRuntime() {}

    /** Sets the offline, cache and thread properties unless the user set them already. */
    public static synchronized void configure() {
        if (configured) {
            return;
        }
        CrossCpu.check();
        setDefault("ai.djl.offline", "true");
        setDefault("ENGINE_CACHE_DIR", cacheRoot().resolve("djl").toString());
        String threads = System.getenv("TRACELENS_THREADS");
        if (threads != null && !threads.isBlank()) {
            System.setProperty("ai.djl.pytorch.num_threads", threads.trim());
        }
        setDefault("ai.djl.pytorch.num_threads", String.valueOf(Runtime.getRuntime().availableProcessors()));
        setDefault("ai.djl.pytorch.num_interop_threads", "1");
        // DJL logs through slf4j; keep its INFO chatter about engine loading off the user's stderr.
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        // DJL probes for CUDA on every engine start and warns when a driver is present but too old
        setDefault("org.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils", "error");
        configured = true;
    }

    /**
     * Where tracelens keeps caches (engine natives, fetched corpora, the unpacked built-in model): the system
     * property tracelens.cache, else $TRACELENS_CACHE, else ~/.cache/tracelens.
     */
    public static Path cacheRoot() {
        String prop = System.getProperty("tracelens.cache");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("TRACELENS_CACHE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "tracelens");
    }

    /** A new root manager on the PyTorch engine; the caller closes it. */
    public static NDManager manager() {
        configure();
        return Engine.getEngine("PyTorch").newBaseManager();
    }

    /**
     * Starts loading the engine's native libraries (about 0.8 s) on a daemon thread, so that a command can read its
     * inputs meanwhile; the first {@link #manager()} call then waits only for what is left.
     */
    public static void warmUpInBackground() {
        configure();
        Thread t = new Thread(() -> {
            try {
                Engine.getEngine("PyTorch");
            } catch (RuntimeException | Error ignored) {
                // the same failure surfaces, with its message, at the first manager() call on the main thread
            }
        }, "engine-warm-up");
        t.setDaemon(true);
        t.start();
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null && System.getenv(key) == null) {
            System.setProperty(key, value);
        }
    }
}
