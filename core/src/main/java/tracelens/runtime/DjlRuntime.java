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

    /** The engine's intra-op threads as now set (--threads, $TRACELENS_THREADS, else every core); loads the engine. */
    public static int intraOpThreads() {
        configure();
        Engine.getEngine("PyTorch");
        return ai.djl.pytorch.jni.JniUtils.getNumThreads();
    }

    /**
     * Sets the engine's intra-op threads for the calling thread and for threads that run their first engine operation
     * after this (the engine reads the setting once per thread). Work split over several Java threads sets 1 in each.
     */
    public static void setIntraOpThreads(int n) {
        ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
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

    /** The device every manager computes on: "cpu" (default), "cuda", "cuda:N" or "auto" (set once by --device). */
    private static volatile String deviceSpec = "cpu";
    private static volatile ai.djl.Device device;

    /** Checks the spelling of {@code spec} now; whether the device exists is checked when the engine first loads. */
    public static void setDevice(String spec) {
        String s = spec.strip().toLowerCase(java.util.Locale.ROOT);
        if (!s.matches("cpu|auto|cuda(:\\d{1,3})?")) {
            throw tracelens.error.InvalidInputException.field("device", " must be cpu, cuda, cuda:N or auto, found '" + spec + "'");
        }
        deviceSpec = s;
        device = null;
    }

    /**
     * The device of {@link #manager()}: the CPU, a CUDA device the engine can use, or with "auto" the first CUDA device
     * when there is one, else the CPU. A CUDA device the engine cannot see (the CPU build has no CUDA natives) is an error.
     */
    public static ai.djl.Device device() {
        ai.djl.Device d = device;
        if (d == null) {
            configure();
            String s = deviceSpec;
            if (s.equals("cpu")) {
                d = ai.djl.Device.cpu();
            } else {
                int gpus = Engine.getEngine("PyTorch").getGpuCount();
                if (s.equals("auto")) {
                    d = gpus > 0 ? ai.djl.Device.gpu(0) : ai.djl.Device.cpu();
                } else {
                    int n = s.equals("cuda") ? 0 : Integer.parseInt(s.substring(5));
                    if (n >= gpus) {
                        throw tracelens.error.InvalidInputException.field("device", " " + s + ": the engine sees " + gpus
                                + " CUDA device" + (gpus == 1 ? "" : "s") + (gpus == 0 ? " (this build has the engine's CPU natives;"
                                + " build with 'mvn -Pcuda package' on a machine with an NVIDIA driver, see the README)" : ""));
                    }
                    d = ai.djl.Device.gpu(n);
                }
            }
            device = d;
        }
        return d;
    }

    /** A new root manager on the PyTorch engine, on {@link #device()}; the caller closes it. */
    public static NDManager manager() {
        configure();
        return Engine.getEngine("PyTorch").newBaseManager(device());
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
