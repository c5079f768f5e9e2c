package tracelens.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.activations.LayerSelection;
import tracelens.activations.Window;
import tracelens.corpus.PassageSampler;
import tracelens.error.InvalidInputException;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.report.SipSweepReport;
import tracelens.sip.IdentifierTrainer;
import tracelens.sip.SipRun;
import tracelens.sip.SipSweep;

@Command(name = "sweep",
        header = "The seed post's figures: identifiers by layer x number of sources, across models, and 2-D maps over seeds.",
        description = {
            "Samples the corpus once (the largest of --sources sources), extracts each --model's mean-pooled hidden states",
            "once, then for every K in --sources trains the linear and MLP identifiers on the first K sources and scores",
            "held-out accuracy and the silhouette per layer, with each decoder's perplexity on those K sources' samples.",
            "Maps: for each of --map-classes (3,4) and --map-seeds (6) seeds, sources and passages drawn at random and",
            "projected on every layer by PCA and by a 2-unit bottleneck identifier. Writes DIR/sweep.json, DIR/sweep.csv,",
            "DIR/maps.csv and DIR/sweep.html; each model's cache goes to DIR/<n>-<model>/ and is reused when rerun."},
        mixinStandardHelpOptions = true, sortOptions = false,
        footer = {"", "Example:",
            "  tracelens sip sweep --corpus sotu --sources 3,10,30 --model minilm \\",
            "      --model ../shared/models/stories260K/stories260K.bin --out sweep"})
public final class SipSweepCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "minilm|PATH", defaultValue = "minilm",
            description = "A model to sweep; repeat for several, shown side by side and over model size. (default: ${DEFAULT-VALUE})")
    List<String> models;

    @Mixin
    CorpusOptions corpusOptions;

    @Option(names = "--sources", required = true, paramLabel = "LIST",
            description = "Numbers of sources K: the first K of the corpus's sources (corpus order), e.g. 3,10,30,100.")
    String sources;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--layers", defaultValue = "all", paramLabel = "all|LIST", description = "Hidden states to study. (default: ${DEFAULT-VALUE})")
    String layers;

    @Mixin
    IdentifierOptions identifiers;

    @Mixin
    TrainingProtocolOptions training;

    @Option(names = "--loss", defaultValue = "bce", paramLabel = "bce|ce", description = "(default: ${DEFAULT-VALUE})")
    String loss;

    @Option(names = "--max-length", defaultValue = "256", paramLabel = "N", description = "Longest token sequence. (default: ${DEFAULT-VALUE})")
    int maxLength;

    @Option(names = "--window", defaultValue = "tracelens", paramLabel = "tracelens|original", description = SipRunCommand.WINDOW_HELP)
    String window;

    @Option(names = "--map-classes", defaultValue = "3,4", paramLabel = "LIST", description = "Sources per map. (default: ${DEFAULT-VALUE})")
    String mapClasses;

    @Option(names = "--map-seeds", defaultValue = "6", paramLabel = "N", description = "Map draws per number of sources. (default: ${DEFAULT-VALUE})")
    int mapSeeds;

    @Option(names = "--map-samples", defaultValue = "100", paramLabel = "N",
            description = "Most passages per source in a map (at most three quarters of the source's, so seeds differ). (default: ${DEFAULT-VALUE})")
    int mapSamples;

    @Option(names = "--bottleneck", paramLabel = "LIST|none",
            description = "Hidden sizes of the map identifier, ending in its 2-unit layer (default: 256,2; none = PCA maps only).")
    String bottleneck;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.folder("--out", out);
        training.validate();
        Window win = Window.parse(window);
        int[] ks = SipTrainCommand.parseList(sources, "--sources");
        int[] hiddenSizes = identifiers.hiddenSizes();
        IdentifierTrainer.Loss lossKind = IdentifierTrainer.Loss.parse(loss);
        if (lossKind == IdentifierTrainer.Loss.HASH) {
            throw new InvalidInputException("--loss must be bce or ce for a sweep");
        }
        int[] bottleneckSizes = bottleneck(hiddenSizes);
        int[] classes = SipTrainCommand.parseList(mapClasses, "--map-classes");
        if (mapSeeds < 0 || mapSamples < 2) {
            throw new InvalidInputException("--map-seeds must be at least 0 and --map-samples at least 2");
        }
        int maxK = Arrays.stream(ks).max().orElse(0);
        var parsed = spec.commandLine().getParseResult();
        if (parsed.hasMatchedOption("--max-sources") && corpusOptions.maxSources < maxK) {
            throw new InvalidInputException("--sources asks for " + maxK + " sources but --max-sources is " + corpusOptions.maxSources);
        }
        corpusOptions.maxSources = maxK; // one sample holds every K's sources: the first K are a prefix of it
        PassageSampler.Sample sample = corpusOptions.heldOutSample();
        if (sample.sources().size() < maxK) {
            throw new InvalidInputException("--sources asks for " + maxK + " sources, but " + corpusOptions.corpus + " has "
                    + sample.sources().size() + " with at least --min-samples " + corpusOptions.minSamples + " passages"
                    + (sample.skipped().isEmpty() ? "" : " (" + sample.skipped().size() + " skipped)"));
        }
        PrintWriter err = spec.commandLine().getErr();
        boolean talk = !output.quiet && !output.json;
        if (talk) {
            sample.notes().forEach(n -> err.println("note: " + n));
        }
        // maps need that many sources with at least 2 passages: asked for explicitly it is an error now, by default a note
        long mappable = sample.passages().stream().collect(java.util.stream.Collectors.groupingBy(PassageSampler.Passage::source,
                java.util.stream.Collectors.counting())).values().stream().filter(c -> c >= 2).count();
        int[] tooMany = Arrays.stream(classes).filter(c -> c > mappable).toArray();
        if (tooMany.length > 0) {
            if (parsed.hasMatchedOption("--map-classes")) {
                throw new InvalidInputException("--map-classes " + Arrays.stream(tooMany).mapToObj(String::valueOf)
                        .collect(java.util.stream.Collectors.joining(",")) + " exceeds the " + mappable + " sources with at least 2 passages");
            }
            classes = Arrays.stream(classes).filter(c -> c <= mappable).toArray();
            if (!output.quiet) {
                err.println("note: no maps of " + Arrays.toString(tooMany) + " sources: the sample has " + mappable
                        + " sources with at least 2 passages");
            }
        }
        var trainingChoice = new SipRun.Training(training.protocol(), hiddenSizes, training::apply);
        List<SipSweep.ModelResult> results = new ArrayList<>();
        for (int i = 0; i < models.size(); i++) {
            String id = models.get(i);
            try (HiddenStateModel m = ModelLoader.load(id)) {
                if (talk) {
                    err.printf("sweep %d/%d: %s, %d sources, %d samples%n", i + 1, models.size(), m.id(), maxK, sample.passages().size());
                }
                var o = new SipSweep.Options(ks, LayerSelection.parse(layers, m.numLayers()), maxLength, 32, corpusOptions.seed,
                        identifiers.epochs(training), identifiers.mlp(), lossKind, trainingChoice, win, mapSeeds, classes, mapSamples, bottleneckSizes);
                results.add(SipSweep.run(m, sample, o, out.resolve(cacheName(i, id)), ProgressBar.of(err, output)));
            }
        }
        var settings = new java.util.LinkedHashMap<>(corpusOptions.describe());
        training.record(settings);
        settings.put("sources", Arrays.toString(ks));
        settings.put("layers", layers);
        settings.put("hidden", Arrays.toString(hiddenSizes));
        settings.put("loss", lossKind.name().toLowerCase(Locale.ROOT));
        settings.put("max_length", String.valueOf(maxLength));
        settings.put("window", win.name().toLowerCase(Locale.ROOT));
        settings.put("map_classes", Arrays.toString(classes));
        settings.put("map_seeds", String.valueOf(mapSeeds));
        settings.put("map_samples", String.valueOf(mapSamples));
        settings.put("bottleneck", bottleneckSizes == null ? "none" : Arrays.toString(bottleneckSizes));
        Path samples = out.resolve(cacheName(0, models.get(0))).resolve("samples.jsonl");
        // one model: its weights' digest as every command records it; several: each model's digest is in its own entry
        var provenance = models.size() == 1 ? tracelens.provenance.Provenance.of("sip sweep", models.get(0), List.of(samples), settings,
                corpusOptions.seed) : tracelens.provenance.Provenance.now("sip sweep", new tracelens.provenance.Provenance.ModelRef(
                        String.join(",", models), null), List.of(new tracelens.provenance.Provenance.FileRef(samples.toString(),
                        tracelens.provenance.FileDigest.of(samples))), settings, corpusOptions.seed);
        ObjectNode json = SipSweepReport.results(results, ks, provenance);
        SipSweepReport.write(json, out);
        PrintWriter stdout = spec.commandLine().getOut();
        if (output.json) {
            ObjectNode n = json.deepCopy(); // its provenance names every model (Json.result(spec) takes one --model)
            for (var m : n.withArray("models")) { // the points stay in the files
                ((ObjectNode) m).remove("maps");
                ((ObjectNode) m).put("maps_in", out.resolve("maps.csv").toString());
            }
            n.put("report", out.resolve("sweep.html").toString());
            stdout.println(Json.write(n));
        } else {
            stdout.println("model                sources  layer  linear  MLP    silhouette");
            for (SipSweep.ModelResult r : results) {
                String name = r.model().contains("/") ? r.model().substring(r.model().lastIndexOf('/') + 1) : r.model();
                for (SipSweep.Cell c : r.cells()) {
                    stdout.printf(Locale.ROOT, "%-20s %7d  %5d  %.3f  %s  %+.3f%n", name, c.sources(), c.layer(), c.linearAccuracy(),
                            Double.isFinite(c.mlpAccuracy()) ? String.format(Locale.ROOT, "%.3f", c.mlpAccuracy()) : "  –  ", c.silhouette());
                }
                if (r.perplexity() != null) {
                    r.perplexity().forEach((k, v) -> stdout.printf(Locale.ROOT, "%-20s %7d  perplexity %.3f%n", name, k, v));
                }
            }
            stdout.printf("wrote %s, %s, %s and %s%n", out.resolve("sweep.html"), out.resolve("sweep.json"), out.resolve("sweep.csv"),
                    out.resolve("maps.csv"));
        }
        stdout.flush();
        return 0;
    }

    /** The bottleneck's sizes, or null for PCA maps only; a bottleneck is an MLP layer, so not with --no-mlp. */
    private int[] bottleneck(int[] hiddenSizes) {
        if (bottleneck == null) {
            return identifiers.mlp() ? new int[] {256, 2} : null;
        }
        if (bottleneck.equalsIgnoreCase("none")) {
            return null;
        }
        if (!identifiers.mlp()) {
            throw new InvalidInputException("--bottleneck draws maps from an MLP identifier's 2-unit layer; it does not go with --no-mlp"
                    + " (linear identifiers have no hidden layer)");
        }
        int[] sizes = SipTrainCommand.parseList(bottleneck, "--bottleneck");
        if (sizes.length == 0 || sizes[sizes.length - 1] != 2 || Arrays.stream(sizes).anyMatch(s -> s < 1)) {
            throw new InvalidInputException("--bottleneck must be positive hidden sizes ending in 2 (the plotted layer), found '"
                    + bottleneck + "'");
        }
        return sizes;
    }

    /** Each model's cache folder: its position and file name, so two models never share one. */
    static String cacheName(int index, String model) {
        String base = Path.of(model).getFileName() == null ? model : Path.of(model).getFileName().toString();
        return (index + 1) + "-" + base.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
