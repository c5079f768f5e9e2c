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

    @Option(names = "--allow-different-corpora", description = "Put runs side by side although their corpus, split or sample"
            + " differ (refused otherwise: their accuracies are not comparable); the page then says how they differ.")
    boolean allowDifferent;

    @picocli.CommandLine.Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.file("--out", out);
        List<JsonNode> nodes = read(runs);
        List<String> differences = SipReport.corpusDifferences(nodes);
        if (!differences.isEmpty() && !allowDifferent) {
            throw new InvalidInputException("these runs were not made on the same corpus and split, so their accuracies are not"
                    + " comparable: " + String.join("; ", differences) + " (pass --allow-different-corpora to compare them anyway)");
        }
        var page = SipReport.page(nodes);
        if (!differences.isEmpty()) {
            page.paragraph("Caution: these runs differ in their corpus or split (" + String.join("; ", differences)
                    + "); they were put side by side with --allow-different-corpora.");
        }
        page.write(out);
        var stdout = spec.commandLine().getOut();
        if (output.json) {
            var n = Json.result(spec);
            n.put("report", out.toString());
            var d = n.putArray("corpus_differences");
            differences.forEach(d::add);
            stdout.println(Json.write(n));
        } else {
            stdout.println("wrote " + out);
        }
        stdout.flush();
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
