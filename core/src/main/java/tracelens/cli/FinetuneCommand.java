package tracelens.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.error.InvalidInputException;
import tracelens.finetune.FineTuner;
import tracelens.finetune.TaskData;
import tracelens.io.AtomicFile;
import tracelens.model.HiddenStateModel;
import tracelens.model.bert.Bert;
import tracelens.runtime.DjlRuntime;

@Command(name = "finetune",
        header = "Fine-tune an encoder on a classification task, optionally shaping its isotropy (I-STAR, CosReg).",
        description = {"Trains the encoder and a linear head on the [CLS] vector (AdamW, linear warm-up and decay, no dropout)",
            "with L = L_task + lambda (1 - IsoScore*(H; C0, zeta)) for --reg istar (H: every token of every layer but the",
            "embeddings; C0 rebuilt from the model's own states at each epoch start), or L = L_task + lambda CosReg(last",
            "layer) for --reg cosreg. lambda > 0 pushes towards isotropy, lambda < 0 away from it. --loss supcon trains the",
            "encoder with the supervised contrastive loss, then a linear head on the frozen encoder. Reports dev accuracy",
            "(MCC for CoLA) and each layer's IsoScore / IsoScore* of the [CLS] vectors of the dev set."},
        mixinStandardHelpOptions = true, sortOptions = false,
        footer = {"", "Examples:",
            "  tracelens finetune --task sst2 --data-dir ../shared/data --train-limit 2000 --reg istar --lambda -5",
            "  tracelens finetune --task my.csv --dev my-dev.csv --loss supcon --out result.json"})
public final class FinetuneCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--task", required = true, paramLabel = "sst2|cola|tweet-offensive|imdb|FILE",
            description = {"A built-in task, or a CSV/TSV file with a header naming a text column (text, sentence, content or x)",
                "and a label column (label or y)."})
    String task;

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Folder holding sst2/, cola/ and tweeteval-offensive/ (default: $TRACELENS_DATA, else ../shared/data).")
    Path dataDir;

    @Option(names = "--dev", paramLabel = "FILE", description = "Evaluation file of a CSV/TSV task (default: a seeded tenth of --task).")
    Path devFile;

    @Option(names = "--loss", defaultValue = "ce", paramLabel = "ce|supcon", description = "Task loss. (default: ${DEFAULT-VALUE})")
    String loss;

    @Option(names = "--reg", defaultValue = "none", paramLabel = "none|istar|cosreg", description = "Regulariser. (default: ${DEFAULT-VALUE})")
    String reg;

    @Option(names = "--lambda", defaultValue = "0.25", paramLabel = "L",
            description = "Regulariser weight; negative values push towards anisotropy. (default: ${DEFAULT-VALUE})")
    float lambda;

    @Option(names = "--zeta", defaultValue = "0.2", paramLabel = "Z", description = "I-STAR shrinkage towards C0, in [0, 1]. (default: ${DEFAULT-VALUE})")
    float zeta;

    @Option(names = "--epochs", defaultValue = "3", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N", description = "(default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--lr", defaultValue = "2e-5", paramLabel = "LR", description = "Peak AdamW learning rate. (default: ${DEFAULT-VALUE})")
    double lr;

    @Option(names = "--weight-decay", defaultValue = "0.01", paramLabel = "W", description = "Decoupled, matrices only. (default: ${DEFAULT-VALUE})")
    double weightDecay;

    @Option(names = "--warmup", defaultValue = "0.1", paramLabel = "F", description = "Fraction of steps of linear warm-up. (default: ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--max-tokens", defaultValue = "128", paramLabel = "N", description = "Tokens per text, special tokens included. (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Option(names = "--train-limit", defaultValue = "0", paramLabel = "N",
            description = "Train on a seeded random subset of N examples (0: all). (default: ${DEFAULT-VALUE})")
    int trainLimit;

    @Option(names = "--dev-limit", defaultValue = "0", paramLabel = "N",
            description = "Evaluate on a seeded random subset of N examples (0: all). (default: ${DEFAULT-VALUE})")
    int devLimit;

    @Option(names = "--subset-seed", defaultValue = "0", paramLabel = "S",
            description = "Seed of the --train-limit/--dev-limit subsets, kept apart from --seed so that seeds vary the training only. (default: ${DEFAULT-VALUE})")
    long subsetSeed;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Head init and batch order. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--temperature", defaultValue = "0.1", paramLabel = "T", description = "SupCon temperature. (default: ${DEFAULT-VALUE})")
    float temperature;

    @Option(names = "--head-epochs", defaultValue = "20", paramLabel = "N", description = "Epochs of the linear head after SupCon. (default: ${DEFAULT-VALUE})")
    int headEpochs;

    @Option(names = "--analysis-zeta", defaultValue = "0.75", paramLabel = "Z",
            description = "zeta of the reported per-layer IsoScore* (the I-STAR analysis value). (default: ${DEFAULT-VALUE})")
    float analysisZeta;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the JSON result to FILE (atomically).")
    Path outFile;

    @Option(names = "--save", paramLabel = "DIR", description = "Save the fine-tuned encoder as a Hugging Face BERT folder"
            + " (config.json, model.safetensors, tokenizer.json) that --model DIR and transformers load; DIR must not exist.")
    Path save;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.file("--out", outFile);
        OutputPaths.folder("--save", save);
        if (save != null && java.nio.file.Files.exists(save)) {
            throw tracelens.error.InvalidInputException.at(save, "already exists; --save writes a new folder");
        }
        if (trainLimit < 0 || devLimit < 0) {
            throw new InvalidInputException("--train-limit and --dev-limit must be >= 0");
        }
        FineTuner.Options o = new FineTuner.Options(Choice.of(FineTuner.TaskLoss.class, "--loss", loss),
                Choice.of(FineTuner.Regulariser.class, "--reg", reg), lambda, zeta, epochs, batchSize, lr, weightDecay, warmup, 1.0,
                maxTokens, seed, temperature, headEpochs, 250_000, analysisZeta);
        PrintWriter err = spec.commandLine().getErr();
        Path data = DataDir.resolve(dataDir);
        TaskData t = TaskData.load(task, data, DjlRuntime.cacheRoot(), devFile, subsetSeed);
        List<TaskData.Example> train = TaskData.subset(t.train(), trainLimit, subsetSeed);
        List<TaskData.Example> dev = TaskData.subset(t.dev(), devLimit, subsetSeed + 1);
        if (!output.quiet) {
            String reg = o.reg() == FineTuner.Regulariser.NONE ? "no regulariser"
                    : o.reg().name().toLowerCase(Locale.ROOT) + " lambda " + lambda + (o.reg() == FineTuner.Regulariser.ISTAR ? " zeta " + zeta : "");
            err.printf(Locale.ROOT, "finetune: %s, %d training / %d evaluation texts (%s), loss %s, %s, seed %d%n",
                    t.name(), train.size(), dev.size(), t.devDescription(), o.loss().name().toLowerCase(Locale.ROOT), reg, seed);
        }
        long start = System.nanoTime();
        FineTuner.Result r;
        String modelId;
        try (HiddenStateModel model = modelOptions.load(); NDManager m = DjlRuntime.manager()) {
            if (!(model instanceof Bert bert)) {
                throw new InvalidInputException("--model " + modelOptions.model + " is a " + model.architecture()
                        + "; finetune trains BERT-style encoders (minilm or a bert folder)");
            }
            modelId = model.id();
            r = new FineTuner(bert, o).run(m, train, dev, t.labels().size(), ProgressBar.of(err, output),
                    line -> { if (!output.quiet) { err.println(line); } });
            if (save != null) {
                tracelens.model.bert.HfBertFolder.save(bert, tracelens.model.bert.HfBertFolder.tokenizerJson(modelOptions.model), save,
                        java.util.Map.of("tracelens_finetune", "task " + t.name() + ", loss " + loss + ", reg " + reg + ", seed " + seed));
            }
        }
        ObjectNode json = Json.result(spec);
        json.put("model", modelId).put("task", t.name()).put("dev_set", t.devDescription())
                .put("train_size", train.size()).put("dev_size", dev.size())
                .put("loss", loss.toLowerCase(Locale.ROOT)).put("reg", reg.toLowerCase(Locale.ROOT)).put("lambda", lambda).put("zeta", zeta)
                .put("seed", seed).put("subset_seed", subsetSeed).put("epochs", epochs).put("batch_size", batchSize).put("lr", lr)
                .put("max_tokens", maxTokens).put("steps", r.steps()).put("metric", t.metric())
                .put("accuracy", r.accuracy()).put("mcc", r.mcc()).put("macro_f1", r.macroF1())
                .put("analysis_zeta", analysisZeta).put("seconds", (System.nanoTime() - start) / 1e9);
        tracelens.results.Results.interval(json, "accuracy", tracelens.sip.Metrics.wilson(r.accuracy(), dev.size()));
        int[] devLabels = dev.stream().mapToInt(TaskData.Example::label).toArray();
        int classes = java.util.Arrays.stream(devLabels).max().orElse(0) + 1;
        for (int p : r.predictions()) {
            classes = Math.max(classes, p + 1);
        }
        tracelens.results.Results.interval(json, "macro_f1", tracelens.sip.Metrics.macroF1Interval(r.predictions(), devLabels, classes,
                tracelens.sip.Metrics.BOOTSTRAP_RESAMPLES, seed));
        ArrayNode ep = json.putArray("history");
        for (FineTuner.Epoch e : r.epochs()) {
            ObjectNode n = ep.addObject().put("epoch", e.epoch()).put("task_loss", e.taskLoss()).put("penalty", e.penalty());
            if (Double.isFinite(e.batchIsoScoreStar())) {
                n.put("batch_isoscore_star", e.batchIsoScoreStar());
            }
            n.put("seconds", e.seconds());
        }
        ArrayNode layers = json.putArray("layers");
        for (FineTuner.Layer l : r.layers()) {
            ObjectNode n = layers.addObject().put("layer", l.layer());
            Json.number(n, "isoscore", l.isoScore());
            Json.number(n, "isoscore_star", l.isoScoreStar());
        }
        String text = Json.write(json);
        if (outFile != null) {
            AtomicFile.writeString(outFile, text + "\n");
            tracelens.results.TidyCsv.write(json, tracelens.results.TidyCsv.besideJson(outFile));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
            out.println(text);
        } else {
            out.printf(Locale.ROOT, "%s on %s: accuracy %.4f, MCC %.4f, macro-F1 %.4f (%d dev texts)%n", modelId, t.name(),
                    r.accuracy(), r.mcc(), r.macroF1(), dev.size());
            out.println("layer  IsoScore  IsoScore*(zeta " + analysisZeta + ") of [CLS]");
            for (FineTuner.Layer l : r.layers()) {
                out.printf(Locale.ROOT, "%5d  %8.4f  %8.4f%n", l.layer(), l.isoScore(), l.isoScoreStar());
            }
        }
        out.flush();
        return 0;
    }


}
