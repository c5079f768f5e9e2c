package tracelens.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.corpus.TextColumns;
import tracelens.corpus.TextInput;
import tracelens.error.InvalidInputException;
import tracelens.finetune.TaskData;
import tracelens.ilm.Ilm;
import tracelens.ilm.IlmInput;
import tracelens.io.AtomicFile;
import tracelens.model.HiddenStateModel;
import tracelens.progress.Progress;
import tracelens.report.HtmlPage;

@Command(name = "ilm",
        header = "ILM layer selection: which layer's states carry the label (PiFi's choice of LLM layer).",
        description = {
            "Per layer, the drop in a logistic probe's accuracy when the label-correlated principal components of the",
            "layer's masked-mean pooled states are suppressed (pifi_ilm.md §3, the legacy PC patching of PIFI-ILM);",
            "the best layer is the argmax. Runs the model on a labelled data set (--model with --data), or reads an",
            "activation file with labels (--activations, extracted with --layers all and a pooled --pool)."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Examples:",
            "  tracelens ilm --model ../shared/models/stories260K/stories260K.bin --data sst2 --out ilm-sst2",
            "  tracelens ilm --activations acts.safetensors --n-samples 400 --json"})
public final class IlmCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "minilm|PATH", description = "The model to run on --data (a decoder for PiFi, or any model).")
    String model;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Tokenizer file (default: the one beside the model).")
    Path tokenizer;

    @Option(names = "--data", paramLabel = "sst2|cola|tweet-offensive|imdb|FILE",
            description = "Labelled texts: a built-in task (its evaluation split, as the original) or a .csv/.tsv/.jsonl file with text and label columns.")
    String data;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder of the built-in tasks (default: $TRACELENS_DATA, else ../shared/data).")
    Path dataDir;

    @Option(names = "--text-column", defaultValue = "text", paramLabel = "NAME", description = "Text column of a --data file. (default: ${DEFAULT-VALUE})")
    String textColumn;

    @Option(names = "--label-column", defaultValue = "label", paramLabel = "NAME", description = "Label column of a --data file. (default: ${DEFAULT-VALUE})")
    String labelColumn;

    @Option(names = "--activations", paramLabel = "FILE", description = "A pooled activation file with labels, instead of --model/--data.")
    Path activations;

    @Option(names = "--n-samples", defaultValue = "400", paramLabel = "N", description = "Rows to use (all, in order, if there are no more). (default: ${DEFAULT-VALUE})")
    int nSamples;

    @Option(names = "--seed", defaultValue = "2023", paramLabel = "S", description = "Seed of the row draw. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--indices", paramLabel = "FILE", description = "Exact 0-based row indices to use (whitespace, comma or JSON separated), e.g. the original's draw.")
    Path indices;

    @Option(names = "--n-pcs", defaultValue = "16", paramLabel = "P", description = "Principal components. (default: ${DEFAULT-VALUE})")
    int nPcs;

    @Option(names = "--top-pc", defaultValue = "5", paramLabel = "K", description = "Most label-correlated components to suppress. (default: ${DEFAULT-VALUE})")
    int topPc;

    @Option(names = "--lambdas", defaultValue = "0.5,1.0", split = ",", paramLabel = "L", description = "Suppression strengths. (default: ${DEFAULT-VALUE})")
    List<Double> lambdas;

    @Option(names = "--stride", defaultValue = "1", paramLabel = "N", description = "Score every N-th layer only (others get 0). (default: ${DEFAULT-VALUE})")
    int stride;

    @Option(names = "--max-length", defaultValue = "128", paramLabel = "N", description = "Token truncation when running the model. (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--batch-size", defaultValue = "16", paramLabel = "N", description = "Texts per forward pass. (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--task", defaultValue = "classification", paramLabel = "NAME", description = "Recorded in selection.json. (default: ${DEFAULT-VALUE})")
    String task;

    @Option(names = "--dataset", paramLabel = "NAME", description = "Recorded in selection.json (default: --data's name).")
    String dataset;

    @Option(names = "--slm-type", defaultValue = "bert", paramLabel = "NAME", description = "Recorded in selection.json. (default: ${DEFAULT-VALUE})")
    String slmType;

    @Option(names = "--llm-type", paramLabel = "NAME", description = "Recorded in selection.json (default: the model's file or folder name).")
    String llmType;

    @Option(names = "--out", paramLabel = "DIR", description = "Writes DIR/selection.json (the original's schema), DIR/ilm.json (with provenance and per-layer details) and DIR/ilm.html.")
    Path out;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.folder("--out", out);
        PrintWriter err = spec.commandLine().getErr();
        Progress progress = ProgressBar.of(err, output);
        if ((activations == null) == (model == null || data == null)) {
            throw new InvalidInputException("give either --activations FILE, or --model M with --data D");
        }
        Ilm.Options o = new Ilm.Options(nPcs, topPc, lambdas.stream().mapToDouble(Double::doubleValue).toArray(), 1.0);
        IlmInput input;
        String dataName;
        String llm;
        if (activations != null) {
            Ilm.warmUp(); // on the idle core while the file is opened and read
            int available;
            try (var f = tracelens.activations.ActivationFile.open(activations)) {
                available = f.hasLabels() ? f.labels().length : 0;
                llm = llmType != null ? llmType : nameOf(f.metadata("model"));
            }
            input = IlmInput.fromActivations(activations, rows(available));
            dataName = dataset != null ? dataset : stem(activations);
        } else {
            List<String> texts = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            readData(texts, labels);
            dataName = dataset != null ? dataset : TaskData.BUILT_IN.contains(data) ? data : stem(Path.of(data));
            llm = llmType != null ? llmType : nameOf(model);
            int[] chosen = rows(texts.size());
            try (HiddenStateModel m = tracelens.model.ModelLoader.load(model, tokenizer)) {
                input = IlmInput.fromModel(m, texts, labels.stream().mapToInt(Integer::intValue).toArray(), chosen,
                        Math.min(maxLength, m.maxPositions()), batchSize, progress);
            }
        }
        if (input.indices().length < 10) {
            throw new InvalidInputException("only " + input.indices().length + " rows: ILM needs at least 10 (the original then"
                    + " falls back to layer num_layers / 2 without scoring; tracelens does not guess)");
        }
        Ilm.Result r = Ilm.run(input.layers(), input.labels(), o, stride, progress);
        ObjectNode selection = Json.MAPPER.createObjectNode(); // the original's selection.json, keys in its order
        selection.put("task", task);
        selection.put("dataset", dataName);
        selection.put("slm_type", slmType);
        selection.put("llm_type", llm);
        selection.put("n_samples", nSamples);
        selection.put("n_pcs", nPcs);
        selection.put("top_pc", topPc);
        ArrayNode effects = selection.putArray("effects");
        for (double e : r.effects()) {
            effects.add(e);
        }
        selection.put("best_llm_layer", r.bestLayer());
        selection.put("seed", seed);

        ObjectNode full = Json.result(spec);
        full.set("selection", selection);
        full.put("rows_available", input.available());
        ArrayNode idx = full.putArray("indices");
        for (int i : input.indices()) {
            idx.add(i);
        }
        ArrayNode layers = full.putArray("layers");
        for (Ilm.Layer l : r.layers()) {
            ObjectNode n = layers.addObject();
            n.put("layer", l.layer());
            n.put("effect", l.effect());
            Json.number(n, "probe_accuracy", l.acc0());
            ArrayNode cf = n.putArray("counterfactual_accuracy");
            for (double a : l.counterfactualAccuracy()) {
                cf.add(a);
            }
            ArrayNode pcs = n.putArray("suppressed_components");
            for (int j : l.components()) {
                pcs.add(j);
            }
        }
        if (out != null) {
            AtomicFile.write(out.resolve("selection.json"), w -> w.write(Json.write(selection) + "\n"));
            AtomicFile.write(out.resolve("ilm.json"), w -> w.write(Json.write(full) + "\n"));
            tracelens.results.TidyCsv.write(full, out.resolve("results.csv"));
            page(r, dataName, llm, input.indices().length).paragraph(tracelens.report.ProvenanceLine.of(full.get("provenance")))
                    .write(out.resolve("ilm.html"));
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (output.json) {
            stdout.println(Json.write(full));
        } else {
            stdout.printf("ILM effects on %s (%d rows of %d, %s): best layer %d%n", dataName, input.indices().length,
                    input.available(), llm, r.bestLayer());
            stdout.println("layer  effect  probe acc  counterfactual acc (lambda " + lambdas + ")");
            for (Ilm.Layer l : r.layers()) {
                stdout.printf(Locale.ROOT, "%5d  %.4f  %9.4f  %s%s%n", l.layer(), l.effect(), l.acc0(),
                        java.util.Arrays.toString(l.counterfactualAccuracy()), l.layer() == r.bestLayer() ? "  <- best" : "");
            }
            if (out != null) {
                stdout.println("wrote " + out.resolve("selection.json") + ", ilm.json and ilm.html");
            }
        }
        stdout.flush();
        return 0;
    }

    private int[] rows(int available) {
        if (available == 0) {
            throw new InvalidInputException("no labelled rows in the input");
        }
        return indices != null ? IlmInput.readIndices(indices, available) : IlmInput.sample(available, nSamples, seed);
    }

    private void readData(List<String> texts, List<Integer> labels) {
        if (TaskData.BUILT_IN.contains(data)) {
            Path root = DataDir.resolve(dataDir);
            TaskData t = TaskData.load(data, root, tracelens.runtime.DjlRuntime.cacheRoot(), null, 0);
            for (TaskData.Example e : t.dev()) {
                texts.add(e.text());
                labels.add(e.label());
            }
            return;
        }
        Path file = Path.of(data);
        if (!Files.isRegularFile(file)) {
            throw InvalidInputException.field("data", " " + data + ": not a built-in task (" + String.join(", ", TaskData.BUILT_IN)
                    + ") and no such file");
        }
        TextInput in = TextInput.of(file, new TextColumns(textColumn, labelColumn));
        if (!in.hasSources()) {
            throw InvalidInputException.at(file, "no label column '" + labelColumn + "' (set --label-column)");
        }
        List<String> raw = new ArrayList<>();
        in.forEach(rec -> {
            texts.add(rec.text());
            raw.add(rec.source());
        });
        List<String> classes = new ArrayList<>(new TreeSet<>(raw));
        raw.forEach(v -> labels.add(classes.indexOf(v)));
    }

    private static HtmlPage page(Ilm.Result r, String data, String llm, int n) {
        ObjectNode spec = Json.MAPPER.createObjectNode();
        spec.put("$schema", "https://vega.github.io/schema/vega-lite/v6.json");
        spec.put("width", 600);
        spec.put("height", 260);
        ArrayNode values = spec.putObject("data").putArray("values");
        for (Ilm.Layer l : r.layers()) {
            values.addObject().put("layer", l.layer()).put("effect", l.effect()).put("best", l.layer() == r.bestLayer());
        }
        spec.put("mark", "bar");
        ObjectNode enc = spec.putObject("encoding");
        enc.putObject("x").put("field", "layer").put("type", "ordinal").put("title", "LLM layer (0-based block index)");
        enc.putObject("y").put("field", "effect").put("type", "quantitative").put("title", "ILM effect (accuracy drop)");
        enc.putObject("color").put("field", "best").put("type", "nominal").put("title", "best layer");
        List<String[]> rows = new ArrayList<>();
        for (Ilm.Layer l : r.layers()) {
            rows.add(new String[] {String.valueOf(l.layer()), String.format(Locale.ROOT, "%.4f", l.effect()),
                String.format(Locale.ROOT, "%.4f", l.acc0()), java.util.Arrays.toString(l.counterfactualAccuracy())});
        }
        return new HtmlPage("ILM layer selection: " + data + " on " + llm)
                .paragraph(n + " rows; the effect of a layer is how much a logistic probe's accuracy drops when the principal"
                        + " components most correlated with the label are suppressed. Best layer: " + r.bestLayer() + ".")
                .chart(spec)
                .table(new String[] {"layer", "effect", "probe accuracy", "counterfactual accuracy"}, rows);
    }

    private static String stem(Path p) {
        String s = p.getFileName().toString();
        int dot = s.lastIndexOf('.');
        return dot > 0 ? s.substring(0, dot) : s;
    }

    private static String nameOf(String model) {
        if (model == null) {
            return "unknown";
        }
        Path p = Path.of(model);
        return p.getFileName() == null ? model : stem(p);
    }
}
