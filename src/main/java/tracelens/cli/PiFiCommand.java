package tracelens.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "pifi",
        header = "PiFi: plug one frozen LLM layer into a small model and fine-tune.",
        description = "PiFi (Kim et al., ACL 2025): small model -> projection -> one frozen decoder block -> projection -> head.",
        mixinStandardHelpOptions = true,
        subcommands = {PiFiTrainCommand.class, CommandLine.HelpCommand.class})
public final class PiFiCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }
}
