package tracelens.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "sip",
        header = "Source identification: which source does a text come from, layer by layer?",
        description = "Source identification (SIP) on a frozen model's hidden states.",
        mixinStandardHelpOptions = true,
        subcommands = {SipRunCommand.class, SipSweepCommand.class, SipGatherCommand.class, SipTrainCommand.class, SipIdentifyCommand.class, SipPredictCommand.class, SipReportCommand.class, CommandLine.HelpCommand.class})
public final class SipCommand extends CommandGroup {
}
