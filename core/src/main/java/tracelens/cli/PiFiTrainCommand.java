package tracelens.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.error.InvalidInputException;
import tracelens.finetune.TaskData;
import tracelens.ilm.Ilm;
import tracelens.ilm.IlmInput;
import tracelens.io.AtomicFile;
import tracelens.model.DecoderLoader;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.model.decoder.DecoderBlock;
import tracelens.pifi.PiFiModel;
import tracelens.pifi.PiFiTrainer;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;

@Command(name = "train",
        header = "Train a PiFi classifier (or the small model alone, --method base) on a task.",
        description = {
            "Builds small model -> pooled vector -> W_in -> one frozen decoder block of --llm (run on a single position by",
            "its exact shortcut) -> W_out -> head, and trains it with PiFi's recipe (Adam 5e-5, label smoothing 0.05,",
            "clipping 5, batch 32, 3 epochs, best epoch on validation accuracy). Only the chosen block of the LLM is read.",
            "--llm-layer best runs 'tracelens ilm' on the task first and plugs in the layer it selects."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Examples:",
            "  tracelens pifi train --llm ../shared/models/stories260K/stories260K.bin --task sst2 --train-limit 2000",
            "  tracelens pifi train --llm ./qwen2-0.5b --llm-layer best --task cola --out cola-pifi.json",
            "  tracelens pifi train --method base --task sst2 --train-limit 2000"})
public final class PiFiTrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--slm", defaultValue = "minilm", paramLabel = "minilm|PATH", description = "The small model (a BERT encoder), trained. (default: ${DEFAULT-VALUE})")
    String slm;

    @Option(names = "--llm", paramLabel = "PATH", description = "The LLM (llama2.c checkpoint or Hugging Face folder) whose block is plugged in; required for --method pifi.")
    String llm;

    @Option(names = "--llm-layer", defaultValue = "-1", paramLabel = "N|best", description = "Block index (negative from the end) or best (ILM's choice). (default: ${DEFAULT-VALUE}, the last)")
    String llmLayer;

    @Option(names = "--method", defaultValue = "pifi", paramLabel = "pifi|base", description = "pifi, or base: the same head on the small model alone. (default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--task", required = true, paramLabel = "sst2|cola|tweet-offensive|imdb|FILE", description = "The classification task.")
    String task;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Folder of the built-in tasks (default: $TRACELENS_DATA, else ../shared/data).")
    Path dataDir;

    @Option(names = "--pooling", defaultValue = "cls", paramLabel = "cls|mean|mean-with-padding", description = "Small-model pooling. (default: ${DEFAULT-VALUE})")
    String pooling;

    @Option(names = "--train-limit", defaultValue = "0", paramLabel = "N", description = "A seeded subset of N training examples (0: all).")
    int trainLimit;

    @Option(names = "--validation-limit", defaultValue = "0", paramLabel = "N", description = "A seeded subset of the validation split (0: all).")
    int validationLimit;

    @Option(names = "--test-limit", defaultValue = "0", paramLabel = "N", description = "A seeded subset of the test split (0: all).")
    int testLimit;

    @Option(names = "--subset-seed", defaultValue = "0", paramLabel = "S", description = "Seed of the subsets, kept apart from --seed. (default: ${DEFAULT-VALUE})")
    long subsetSeed;

    @Option(names = "--epochs", defaultValue = "3", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--lr", defaultValue = "5e-5", paramLabel = "LR", description = "(default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--label-smoothing", defaultValue = "0.05", paramLabel = "E", description = "(default: ${DEFAULT-VALUE})")
    float labelSmoothing;

    @Option(names = "--dropout", defaultValue = "0.2", paramLabel = "P", description = "Head dropout. (default: ${DEFAULT-VALUE})")
    float dropout;

    @Option(names = "--max-tokens", defaultValue = "100", paramLabel = "N", description = "Small-model truncation. (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--seed", defaultValue = "2023", paramLabel = "S", description = "Initialisation, shuffling, dropout and validation split. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the JSON result here.")
    Path out;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.file("--out", out);
        PrintWriter err = spec.commandLine().getErr();
        Progress progress = ProgressBar.of(err, output);
        PiFiModel.Method m = switch (method.toLowerCase(Locale.ROOT)) {
            case "pifi" -> PiFiModel.Method.PIFI;
            case "base" -> PiFiModel.Method.BASE;
            default -> throw new InvalidInputException("--method must be pifi or base, found '" + method + "'");
        };
        PiFiModel.Pooling pool = PiFiModel.Pooling.parse(pooling);
        if (m == PiFiModel.Method.PIFI && llm == null) {
            throw new InvalidInputException("--llm PATH is required for --method pifi");
        }
        PiFiTrainer.Options o = new PiFiTrainer.Options(epochs, batchSize, lr, labelSmoothing, 5.0, 5, maxTokens, seed);
        Path data = DataDir.resolve(dataDir);
        TaskData t = TaskData.load(task, data, DjlRuntime.cacheRoot(), null, seed);
        PiFiTrainer.Split full = PiFiTrainer.split(task, t, data, seed);
        PiFiTrainer.Split split = new PiFiTrainer.Split(TaskData.subset(full.train(), trainLimit, subsetSeed),
                TaskData.subset(full.validation(), validationLimit, subsetSeed), TaskData.subset(full.test(), testLimit, subsetSeed));

        ObjectNode json = Json.result(spec);
        Integer layer = null;
        if (m == PiFiModel.Method.PIFI) {
            if (llmLayer.equalsIgnoreCase("best")) {
                layer = ilmChoice(t, json, progress, err);
            } else {
                try {
                    layer = Integer.parseInt(llmLayer);
                } catch (NumberFormatException e) {
                    throw new InvalidInputException("--llm-layer must be an integer or best, found '" + llmLayer + "'");
                }
            }
        }
        long started = System.nanoTime();
        PiFiTrainer.Result r;
        int blockIndex = -1;
        try (HiddenStateModel small = ModelLoader.load(slm); var root = DjlRuntime.manager()) {
            if (!(small instanceof tracelens.model.bert.Bert)) {
                throw new InvalidInputException("--slm must be an encoder (BERT); " + slm + " is a " + small.architecture());
            }
            DecoderBlock block = layer == null ? null : DecoderLoader.loadBlock(Path.of(llm), layer, root.newSubManager());
            blockIndex = block == null ? -1 : block.index();
            try (PiFiModel model = new PiFiModel(root, small, block, t.labels().size(), pool, dropout, new Random(seed), seed + 1)) {
                if (!output.quiet) {
                    err.printf("%s on %s: %d training, %d validation, %d test examples; %,d trainable and %,d frozen parameters%s%n",
                            m.name().toLowerCase(), t.name(), split.train().size(), split.validation().size(), split.test().size(),
                            model.parameters().count(true), model.parameters().count(false) - model.parameters().count(true),
                            block == null ? "" : "; LLM block " + blockIndex + " of " + llm);
                }
                r = PiFiTrainer.train(root, model, small.tokenizer(), split, t.labels().size(), o, progress,
                        line -> { if (!output.quiet) { err.println(line); } });
            }
            if (block != null) {
                block.close();
            }
        }
        json.put("method", m.name().toLowerCase());
        json.put("task", t.name());
        json.put("slm", slm);
        if (llm != null && m == PiFiModel.Method.PIFI) {
            json.put("llm", llm);
            json.put("llm_layer", blockIndex);
        }
        json.put("pooling", pool.name().toLowerCase().replace('_', '-'));
        json.put("train_examples", split.train().size());
        json.put("validation_examples", split.validation().size());
        json.put("test_examples", split.test().size());
        json.put("trainable_parameters", r.trainableParameters());
        json.put("frozen_parameters", r.frozenParameters());
        json.put("best_epoch", r.bestEpoch());
        Json.number(json, "validation_accuracy", r.validationAccuracy());
        tracelens.results.Results.interval(json, "validation_accuracy", tracelens.sip.Metrics.wilson(r.validationAccuracy(), split.validation().size()));
        Json.number(json, "test_accuracy", r.testAccuracy());
        tracelens.results.Results.interval(json, "test_accuracy", tracelens.sip.Metrics.wilson(r.testAccuracy(), split.test().size()));
        Json.number(json, "test_macro_f1", r.testMacroF1());
        tracelens.results.Results.interval(json, "test_macro_f1", r.testMacroF1Ci95());
        json.put("metrics_note", "corpus-level accuracy and macro-F1 (the original averages per-batch values)");
        ArrayNode hist = json.putArray("history");
        for (PiFiTrainer.Epoch e : r.epochs()) {
            ObjectNode n = hist.addObject();
            n.put("epoch", e.epoch());
            Json.number(n, "train_loss", e.trainLoss());
            Json.number(n, "validation_accuracy", e.validationAccuracy());
            n.put("seconds", e.seconds());
        }
        json.put("steps", r.steps());
        json.put("seconds", (System.nanoTime() - started) / 1e9);
        if (out != null) {
            AtomicFile.write(out, w -> w.write(Json.write(json) + "\n"));
            tracelens.results.TidyCsv.write(json, tracelens.results.TidyCsv.besideJson(out));
        }
        PrintWriter stdout = spec.commandLine().getOut();
        if (output.json) {
            stdout.println(Json.write(json));
        } else {
            stdout.printf(Locale.ROOT, "%s on %s%s: test accuracy %.4f, macro-F1 %.4f (validation %.4f, best epoch %d of %d)%n",
                    m.name().toLowerCase(), t.name(), blockIndex >= 0 ? " with LLM block " + blockIndex : "", r.testAccuracy(),
                    r.testMacroF1(), r.validationAccuracy(), r.bestEpoch(), r.epochs().size());
        }
        stdout.flush();
        return 0;
    }

    /** Runs ILM with its defaults on the task's evaluation split through the LLM, records it, returns the best layer. */
    private int ilmChoice(TaskData t, ObjectNode json, Progress progress, PrintWriter err) {
        List<String> texts = new ArrayList<>();
        int[] labels = t.dev().stream().mapToInt(TaskData.Example::label).toArray();
        t.dev().forEach(e -> texts.add(e.text()));
        Ilm.Options io = Ilm.Options.defaults();
        Ilm.Result res;
        int[] rows = IlmInput.sample(texts.size(), 400, seed);
        try (HiddenStateModel big = ModelLoader.load(llm)) {
            IlmInput in = IlmInput.fromModel(big, texts, labels, rows, Math.min(128, big.maxPositions()), 16, progress);
            res = Ilm.run(in.layers(), in.labels(), io, 1, progress);
        }
        ObjectNode ilm = json.putObject("ilm");
        ilm.put("n_samples", 400);
        ilm.put("n_pcs", io.nPcs());
        ilm.put("top_pc", io.topPc());
        ArrayNode eff = ilm.putArray("effects");
        for (double e : res.effects()) {
            eff.add(e);
        }
        ilm.put("best_llm_layer", res.bestLayer());
        if (!output.quiet) {
            err.println("ILM chose LLM block " + res.bestLayer() + " (effects " + java.util.Arrays.toString(res.effects()) + ")");
        }
        return res.bestLayer();
    }
}
