package tracelens.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "radioactive",
        header = "Radioactive data: test with a p-value whether a model was trained on marked data.",
        description = "Radioactive data (Sablayrolles et al., ICML 2020): detection from carriers and a suspect classifier.",
        mixinStandardHelpOptions = true,
        subcommands = {RadioactiveDetectCommand.class, CommandLine.HelpCommand.class})
public final class RadioactiveCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }
}
