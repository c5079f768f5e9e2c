package tracelens.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "parchgrad",
        header = "ParchGrad: channel-gradient control for saliency maps of CNN classifiers.",
        description = "ParchGrad (Park, Jeon and Choi, 2023): evaluation on MNIST canvases and the 2-D aggregation toy.",
        mixinStandardHelpOptions = true,
        subcommands = {ParchGradEvaluateCommand.class, ParchGradToyCommand.class, CommandLine.HelpCommand.class})
public final class ParchGradCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }
}
