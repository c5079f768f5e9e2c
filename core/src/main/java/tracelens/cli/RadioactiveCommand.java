package tracelens.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "radioactive",
        header = "Radioactive data: test with a p-value whether a model was trained on marked data.",
        description = "Radioactive data (Sablayrolles et al., ICML 2020): mark images with secret carriers, then detect them in a suspect classifier.",
        mixinStandardHelpOptions = true,
        subcommands = {RadioactiveMarkCommand.class, RadioactiveMarkEmbeddingsCommand.class, RadioactiveTrainHeadCommand.class,
            RadioactiveLmDetectCommand.class,
            RadioactiveDetectCommand.class, CommandLine.HelpCommand.class})
public final class RadioactiveCommand extends CommandGroup {
}
