package tracelens.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs a test class's main in a child JVM with this JVM's classpath and engine properties, in an environment changed
 * as asked: for checks whose subject is the process environment (kernel variables, preloaded libraries), which a JVM
 * cannot change for itself once the engine is loaded.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /**
     * Standard output and error of {@code main} run with {@code args}, with {@code remove} taken out of the environment
     * and {@code env} added.
     */
    public static String run(Class<?> main, Collection<String> remove, Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g"));
        for (String p : List.of("ai.djl.offline", "ENGINE_CACHE_DIR", "tracelens.cache", "ai.djl.pytorch.num_threads",
                "ai.djl.pytorch.num_interop_threads")) {
            if (System.getProperty(p) != null) {
                cmd.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        remove.forEach(pb.environment()::remove);
        pb.environment().putAll(env);
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(main.getSimpleName() + " ran past 120 s");
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
