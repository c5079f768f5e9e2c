package tracelens.spark;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** tracelens-spark: the tracelens pipeline on Apache Spark (issue 18). The only place that exits the process. */
@Command(name = "tracelens-spark", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        header = "tracelens on Apache Spark: gather activations, geometry and probes over corpora larger than one machine.",
        description = {"Writes and reads the sharded activation store of 'tracelens activations --shard-rows', so every local",
            "command reads what these jobs write. Run with --master local[N] from this launcher, or submit the jar with",
            "spark-submit (README, 'Scale-out on Spark')."},
        subcommands = {GatherCommand.class, StoreGeometryCommand.class, ProbeCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests execute it with captured streams). */
    public static CommandLine commandLine() {
        // Spark logs through slf4j: keep its INFO chatter off stderr, where progress and errors go
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.hadoop.util.NativeCodeLoader", "error");
        System.setProperty("org.slf4j.simpleLogger.log.org.apache.spark.util.Utils", "error");
        return tracelens.cli.Main.configure(new CommandLine(new Main()));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"tracelens-spark " + (v != null ? v : "(development build)") + ", Spark " + org.apache.spark.package$.MODULE$.SPARK_VERSION()};
        }
    }
}
