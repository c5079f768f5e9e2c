package tracelens.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

@Command(name = "tracelens",
        header = "Where does a neural network's behaviour come from?",
        description = "Extract a frozen model's hidden states layer by layer and trace behaviour to its sources.",
        mixinStandardHelpOptions = true,
        versionProvider = TracelensCommand.Version.class,
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:success", "1:internal error (a bug: rerun with --verbose and report it)",
                "2:bad usage or invalid input (the message names the file, line or field)"},
        footer = {"", "Run 'tracelens help <command>' for a command's options.",
                "Start with './tracelens demo'."})
public final class TracelensCommand implements Callable<Integer> {
    /**
     * The subcommands, in the order help lists them. Main adds them itself rather than through the annotation, so
     * that a run builds only the command it runs: picocli's classes cannot be class-data shared (they are Java 5
     * class files), and building all 40 command specs cost 0.3 s of every start (BENCHMARKS.md).
     */
    static final java.util.List<Class<?>> SUBCOMMANDS = java.util.List.of(DemoCommand.class, SipCommand.class, CanvasesCommand.class,
            FinetuneLmCommand.class, ActivationsCommand.class, GenerateCommand.class, PerplexityCommand.class, GeometryCommand.class,
            FinetuneCommand.class, SitesCommand.class, IlmCommand.class, PiFiCommand.class, ParchGradCommand.class, TrainCnnCommand.class,
            SaliencyCommand.class, RadioactiveCommand.class, CommandLine.HelpCommand.class);

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return 2;
    }

    /**
     * The version from the jar manifest ("dev" when run from classes), then what decides this machine's numbers: the
     * engine's versions, the processor as the launcher reads it, and the kernel settings provenance records as numerics.
     * Nothing here loads the engine, so it answers at once.
     */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = TracelensCommand.class.getPackage().getImplementationVersion();
            return new String[] {"tracelens " + (v == null ? "dev" : v), "engine: " + engine(),
                    "processor: " + tracelens.runtime.Processor.describe(), "numerics: " + tracelens.runtime.CrossCpu.describe()};
        }

        /** DJL's and its PyTorch's versions, from the engine jar's own properties. */
        private static String engine() {
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = ai.djl.engine.Engine.class.getClassLoader().getResourceAsStream("pytorch-engine.properties")) {
                if (in == null) {
                    return "unknown (no pytorch-engine.properties on the classpath)";
                }
                p.load(in);
            } catch (java.io.IOException e) {
                return "unknown (" + e.getMessage() + ")";
            }
            return "DJL " + p.getProperty("djl_version", "?") + ", PyTorch " + p.getProperty("pytorch_version", "?") + " (CPU)";
        }
    }
}
