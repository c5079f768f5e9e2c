package tracelens.cli;

import picocli.CommandLine.Option;
import tracelens.sip.Identifier;
import tracelens.sip.IdentifierTrainer;
import tracelens.train.Optimizer;

/** How sip run and sip train train their identifiers: the protocol and the original code's other choices (issue 13). */
final class TrainingProtocolOptions {
    @Option(names = "--protocol", defaultValue = "tracelens", paramLabel = "tracelens|original",
            description = "tracelens: a validation tenth, early stopping, the best epoch's weights. original: as the SIP code, every"
                    + " training row gets gradient for exactly --epochs (default then 10) and the final weights are kept. (default: ${DEFAULT-VALUE})")
    String protocol;

    @Option(names = "--optimizer", defaultValue = "adam", paramLabel = "adam|sgd|rmsprop",
            description = "Adam (betas 0.9/0.999), SGD without momentum, or RMSprop (alpha 0.99), as the original offers. (default: ${DEFAULT-VALUE})")
    String optimizer;

    @Option(names = "--activation", defaultValue = "relu", paramLabel = "relu|gelu|tanh",
            description = "The MLP's hidden-layer activation (GELU in its exact erf form). (default: ${DEFAULT-VALUE})")
    String activation;

    @Option(names = "--warmup-steps", defaultValue = "1", paramLabel = "N",
            description = "Warm-up steps of the linear learning-rate schedule (the original's default 1: the first update has rate 0). (default: ${DEFAULT-VALUE})")
    int warmupSteps;

    /** Parses every choice now, so that a misspelt one fails before any work. */
    void validate() {
        protocol();
        Optimizer.Kind.parse(optimizer);
        Identifier.Act.parse(activation);
        if (warmupSteps < 0) {
            throw new tracelens.error.InvalidInputException("--warmup-steps must be at least 0, found " + warmupSteps);
        }
    }

    IdentifierTrainer.Protocol protocol() {
        return IdentifierTrainer.Protocol.parse(protocol);
    }

    /** {@code o} with these choices. */
    IdentifierTrainer.Options apply(IdentifierTrainer.Options o) {
        return o.with(protocol(), Optimizer.Kind.parse(optimizer), Identifier.Act.parse(activation), warmupSteps);
    }

    /** The epoch budget: as given, else 10 under the original protocol and {@code tracelensDefault} otherwise. */
    int epochs(Integer given, int tracelensDefault) {
        return given != null ? given : protocol() == IdentifierTrainer.Protocol.ORIGINAL ? 10 : tracelensDefault;
    }

    /** The settings as results record them. */
    void record(java.util.Map<String, String> settings) {
        settings.put("protocol", protocol().name().toLowerCase(java.util.Locale.ROOT));
        settings.put("optimizer", Optimizer.Kind.parse(optimizer).name().toLowerCase(java.util.Locale.ROOT));
        settings.put("activation", Identifier.Act.parse(activation).name().toLowerCase(java.util.Locale.ROOT));
        settings.put("warmup_steps", String.valueOf(warmupSteps));
    }
}
