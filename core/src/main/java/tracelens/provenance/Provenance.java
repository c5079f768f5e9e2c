package tracelens.provenance;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;
import tracelens.error.InvalidInputException;
import tracelens.model.HubCache;
import tracelens.model.ModelLoader;
import tracelens.results.Results;
import tracelens.runtime.CrossCpu;

/**
 * Where a result came from: the tracelens version, the command, the model (as named, plus the SHA-256 of its weight
 * files), the input files (path plus SHA-256), the settings that shape the numbers, the seed, which kernels the engine
 * was allowed ({@link CrossCpu#describe}) and the time. Two
 * provenances describe the same computation when everything but the version, kernels, time and paths agrees
 * ({@link #differenceFrom}): that is how a cache is accepted or refused.
 */
@JsonPropertyOrder({"tracelens", "command", "model", "inputs", "settings", "seed", "numerics", "created"})
@JsonInclude(JsonInclude.Include.ALWAYS)
public record Provenance(String tracelens, String command, ModelRef model, List<FileRef> inputs, SortedMap<String, String> settings,
        Long seed, String numerics, String created) {
    /** A model as the user named it, and the digest of its weight files (null when there is none, e.g. geometry on a CSV). */
    public record ModelRef(String id, String sha256) {}

    public record FileRef(String path, String sha256) {}

    public Provenance {
        inputs = List.copyOf(inputs);
        settings = new TreeMap<>(settings);
    }

    /** A provenance now, for {@code command} on {@code model} (null for none) with the given inputs, settings and seed. */
    public static Provenance of(String command, String model, List<Path> inputs, Map<String, String> settings, Long seed) {
        List<FileRef> refs = new ArrayList<>();
        for (Path p : inputs) {
            refs.add(new FileRef(p.toString(), FileDigest.of(p)));
        }
        return now(command, model == null ? null : new ModelRef(model, modelDigest(model)), refs, settings, seed);
    }

    /** A provenance now, from a model and inputs already digested. */
    public static Provenance now(String command, ModelRef model, List<FileRef> inputs, Map<String, String> settings, Long seed) {
        return new Provenance(version(), command, model, inputs, new TreeMap<>(settings), seed, CrossCpu.describe(),
                Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
    }

    /** The same computation with one more setting. */
    public Provenance with(String key, String value) {
        SortedMap<String, String> s = new TreeMap<>(settings);
        s.put(key, value);
        return new Provenance(tracelens, command, model, inputs, s, seed, numerics, created);
    }

    /**
     * Null when {@code other} describes the same computation (model weights, input contents, settings and seed agree;
     * version, time and file paths may differ), else what differs first, e.g. "setting layers: [0, 3] here, [0, 1]
     * requested".
     */
    public String differenceFrom(Provenance other) {
        String mine = model == null ? null : model.sha256();
        String theirs = other.model == null ? null : other.model.sha256();
        if (!Objects.equals(mine, theirs)) {
            return "model: " + describe(model) + " here, " + describe(other.model) + " requested";
        }
        if (inputs.size() != other.inputs.size()) {
            return "inputs: " + inputs.size() + " file(s) here, " + other.inputs.size() + " requested";
        }
        for (int i = 0; i < inputs.size(); i++) {
            if (!inputs.get(i).sha256().equals(other.inputs.get(i).sha256())) {
                return "input " + other.inputs.get(i).path() + ": its contents differ (sha256 " + shortHash(inputs.get(i).sha256())
                        + " here, " + shortHash(other.inputs.get(i).sha256()) + " requested)";
            }
        }
        TreeMap<String, String> keys = new TreeMap<>(settings);
        other.settings.forEach(keys::putIfAbsent);
        for (String k : keys.keySet()) {
            if (!Objects.equals(settings.get(k), other.settings.get(k))) {
                return "setting " + k + ": " + settings.get(k) + " here, " + other.settings.get(k) + " requested";
            }
        }
        if (!Objects.equals(seed, other.seed)) {
            return "seed: " + seed + " here, " + other.seed + " requested";
        }
        return null;
    }

    private static String describe(ModelRef m) {
        return m == null ? "none" : m.id() + " (sha256 " + shortHash(m.sha256()) + ")";
    }

    private static String shortHash(String h) {
        return h == null ? "none" : h.substring(0, Math.min(12, h.length()));
    }

    public String toJson() {
        try {
            return Results.COMPACT.writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses {@link #toJson}'s output; {@code where} names the file for the error. */
    public static Provenance fromJson(String json, String where) {
        try {
            return Results.MAPPER.readValue(json, Provenance.class);
        } catch (IOException e) {
            throw new InvalidInputException(where + ": unreadable provenance (" + e.getMessage() + ")");
        }
    }

    /** The weight files' digest: the built-in MiniLM's ONNX file, a checkpoint file, or a folder's *.safetensors (sorted). */
    public static String modelDigest(String model) {
        try {
            if (model.equals(ModelLoader.MINILM)) {
                return FileDigest.of(ModelLoader.miniLmOnnx());
            }
            Path p = HubCache.resolve(model);
            if (Files.isRegularFile(p)) {
                return FileDigest.of(p);
            }
            try (Stream<Path> files = Files.list(p)) {
                List<Path> all = files.sorted().toList();
                List<Path> weights = all.stream().filter(f -> f.getFileName().toString().endsWith(".safetensors")).toList();
                if (weights.isEmpty()) { // a folder with PyTorch weights only
                    weights = all.stream().filter(f -> f.getFileName().toString().matches("pytorch_model.*\\.bin")).toList();
                }
                return weights.isEmpty() ? null : FileDigest.ofAll(weights);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The version from the jar manifest, or "dev" when run from classes. */
    public static String version() {
        String v = Provenance.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
