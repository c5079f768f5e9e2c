package tracelens.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "parchgrad",
        header = "ParchGrad: channel-gradient control for saliency maps of CNN classifiers.",
        description = "ParchGrad (Park, Jeon and Choi, 2023): evaluation on MNIST canvases and the 2-D aggregation toy.",
        mixinStandardHelpOptions = true,
        subcommands = {ParchGradEvaluateCommand.class, ParchGradToyCommand.class, CommandLine.HelpCommand.class})
public final class ParchGradCommand extends CommandGroup {
}
