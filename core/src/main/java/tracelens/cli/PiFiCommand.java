package tracelens.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "pifi",
        header = "PiFi: plug one frozen LLM layer into a small model and fine-tune.",
        description = "PiFi (Kim et al., ACL 2025): small model -> projection -> one frozen decoder block -> projection -> head.",
        mixinStandardHelpOptions = true,
        subcommands = {PiFiTrainCommand.class, CommandLine.HelpCommand.class})
public final class PiFiCommand extends CommandGroup {
}
