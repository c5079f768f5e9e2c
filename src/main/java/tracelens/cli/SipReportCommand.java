package tracelens.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import tracelens.error.InvalidInputException;
import tracelens.report.SipReport;

@Command(name = "report",
        header = "One self-contained HTML report from one or more 'sip run' folders, side by side.",
        description = {"Reads each RUN/results.json (a sip run output folder, or the file itself) and writes one page:",
            "accuracy and silhouette curves per run, a map grid with one row per run, and a table per run."},
        mixinStandardHelpOptions = true,
        footer = {"", "Example:", "  tracelens sip report tracelens-demo/minilm tracelens-demo/stories260K --out compare.html"})
public final class SipReportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "RUN", description = "sip run output folders (or their results.json).")
    List<Path> runs;

    @Option(names = "--out", required = true, paramLabel = "FILE.html", description = "The report.")
    Path out;

    @Override
    public Integer call() {
        OutputPaths.file("--out", out);
        SipReport.page(read(runs)).write(out);
        spec.commandLine().getOut().println("wrote " + out);
        spec.commandLine().getOut().flush();
        return 0;
    }

    static List<JsonNode> read(List<Path> runs) {
        List<JsonNode> nodes = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (Path run : runs) {
            Path file = Files.isDirectory(run) ? run.resolve("results.json") : run;
            if (!Files.isRegularFile(file)) {
                throw InvalidInputException.at(file, "not found: is " + run + " a 'sip run' output folder?");
            }
            try {
                JsonNode n = json.readTree(file.toFile());
                if (n == null || !n.has("layers") || !n.has("sources") || !n.has("model")) {
                    throw InvalidInputException.at(file, "not a sip run results.json (needs model, sources and layers)");
                }
                nodes.add(n);
            } catch (IOException e) {
                throw InvalidInputException.at(file, "not valid JSON: " + e.getMessage());
            }
        }
        return nodes;
    }
}
