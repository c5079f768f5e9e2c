package tracelens.spark;

import java.util.concurrent.ConcurrentHashMap;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;

/**
 * The models of this executor JVM, loaded once each (the weights are memory-mapped, so every task thread of the
 * executor shares one copy) and kept until the JVM exits.
 */
final class ExecutorModels {
    private static final ConcurrentHashMap<String, HiddenStateModel> MODELS = new ConcurrentHashMap<>();

    private ExecutorModels() {}

    static HiddenStateModel get(String model, String tokenizer) {
        return MODELS.computeIfAbsent(model + "\u0000" + tokenizer,
                k -> ModelLoader.load(model, tokenizer == null ? null : java.nio.file.Path.of(tokenizer)));
    }

    /** How many models this JVM loaded (tests: once per executor, not per partition). */
    static int loaded() {
        return MODELS.size();
    }
}
