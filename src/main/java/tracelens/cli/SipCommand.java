package tracelens.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "sip",
        header = "Source identification: which source does a text come from, layer by layer?",
        description = "Source identification (SIP) on a frozen model's hidden states.",
        mixinStandardHelpOptions = true,
        subcommands = {SipRunCommand.class, SipGatherCommand.class, SipTrainCommand.class, SipIdentifyCommand.class, SipReportCommand.class, CommandLine.HelpCommand.class})
public final class SipCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }
}
