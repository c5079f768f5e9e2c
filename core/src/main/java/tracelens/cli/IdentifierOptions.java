package tracelens.cli;

import picocli.CommandLine.Option;

/** The identifiers' budget and architecture, shared by sip run and sip sweep. */
final class IdentifierOptions {
    @Option(names = "--epochs", paramLabel = "N",
            description = "Most training epochs; training stops after 20 epochs without a lower loss on a validation tenth (default: 200;"
                    + " with --protocol original exactly N, default 10).")
    Integer epochs;

    @Option(names = "--no-mlp", description = "Train only the linear probe.")
    boolean noMlp;

    @Option(names = "--hidden", defaultValue = "stage3", paramLabel = "PRESET|LIST",
            description = "The MLP identifier's hidden sizes: stage3 (5 x 256), tiny, small, medium, large, or a list. (default: ${DEFAULT-VALUE})")
    String hidden;

    /** The MLP's hidden sizes (checked: a misspelt preset or a bad list fails before any work). */
    int[] hiddenSizes() {
        return SipTrainCommand.hiddenSizes(hidden);
    }

    /** The epoch budget under {@code protocol}'s default when none was given. */
    int epochs(TrainingProtocolOptions protocol) {
        return protocol.epochs(epochs, 200);
    }

    boolean mlp() {
        return !noMlp;
    }
}
