package tracelens.sip;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import tracelens.activations.ActivationExtractor;
import tracelens.activations.Pooling;
import tracelens.corpus.PassageSampler;
import tracelens.corpus.TextColumns;
import tracelens.corpus.TextInput;
import tracelens.error.InvalidInputException;
import tracelens.io.AtomicFile;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.model.SafeTensors;
import tracelens.progress.Progress;
import tracelens.provenance.FileDigest;
import tracelens.provenance.Provenance;

/**
 * The SIP activation cache (sip.md §2): the sampled passages ({@code samples.jsonl}: text, source, document, split) and
 * the frozen model's hidden states of the chosen layers ({@code activations.safetensors}), token-level (N, T, C) with
 * its mask, in f16 by default, or mean-pooled (N, C). The extraction is resumable: a killed run continues after the
 * last finished chunk. A folder holding a cache of another model, layer set, pooling, precision or sample set is an
 * error unless {@code force} replaces it.
 */
public final class SipGather {
    public static final String SAMPLES = "samples.jsonl";
    public static final String ACTIVATIONS = "activations.safetensors";

    /** {@code sampling}: how the samples were drawn (corpus, words, seed, ...), stored as {@code sampling.<key>} metadata. */
    public record Options(int[] layers, int maxLength, int batchSize, boolean tokens, DType dtype, boolean force,
            Map<String, String> sampling, tracelens.activations.Window window) {
        public Options(int[] layers, int maxLength, int batchSize, boolean tokens, DType dtype, boolean force, Map<String, String> sampling) {
            this(layers, maxLength, batchSize, tokens, dtype, force, sampling, tracelens.activations.Window.TRACELENS);
        }
    }

    public record Result(Path activations, boolean reused, int samples, List<String> sources, long tokens, double seconds) {}

    private SipGather() {}

    public static Result gather(HiddenStateModel model, PassageSampler.Sample sample, Options o, Path dir, Progress progress) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        Path acts = dir.resolve(ACTIVATIONS);
        Path samples = dir.resolve(SAMPLES);
        Pooling pool = o.tokens() ? Pooling.NONE : Pooling.MEAN;
        int maxLength = Math.min(o.maxLength(), model.maxPositions());
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        o.sampling().forEach((k, v) -> meta.put("sampling." + k, v));
        ActivationExtractor.Options opts = new ActivationExtractor.Options(o.layers(), pool, maxLength, o.batchSize(), o.dtype())
                .withWindow(o.window());
        // what this request would store: compared with the cache's own provenance (the samples file's digest among it)
        Provenance want = ActivationExtractor.provenance(model.id(), new Provenance.FileRef(samples.toString(),
                samplesDigest(sample.passages())), opts, meta);
        if (Files.isRegularFile(acts)) {
            String differs = differs(acts, want);
            if (differs == null) {
                return new Result(acts, true, sample.passages().size(), sample.sources(), 0, 0);
            }
            if (!o.force()) {
                throw InvalidInputException.at(acts, "holds a cache of other inputs (" + differs
                        + "); pass --force to replace it, or choose another --out");
            }
        }
        writeSamples(samples, sample.passages());
        ActivationExtractor.Summary summary;
        try {
            summary = ActivationExtractor.extract(model, TextInput.of(samples, new TextColumns("text", "source")), opts, acts,
                    meta, progress, true);
        } catch (RuntimeException e) { // an error, not a kill: the cache is not half-made (a kill keeps both for --resume)
            try {
                Files.deleteIfExists(samples);
            } catch (IOException ignored) {
                // best effort
            }
            throw e;
        }
        return new Result(acts, false, sample.passages().size(), sample.sources(), summary.tokens(), summary.seconds());
    }

    /** What differs between the cache's provenance and the request's, or null when they describe the same computation. */
    private static String differs(Path acts, Provenance want) {
        try (SafeTensors st = SafeTensors.open(acts)) {
            String have = st.metadata().get("provenance");
            if (have == null) {
                return "no provenance: made by an older tracelens";
            }
            return Provenance.fromJson(have, acts.toString()).differenceFrom(want);
        } catch (InvalidInputException e) {
            return "an unreadable file (" + e.getMessage() + ")";
        }
    }

    /** The SHA-256 of {@link #SAMPLES} as {@link #writeSamples} writes it, computed without writing it. */
    static String samplesDigest(List<PassageSampler.Passage> passages) {
        MessageDigest sha = FileDigest.sha256();
        ObjectMapper json = new ObjectMapper();
        for (PassageSampler.Passage p : passages) {
            sha.update((sampleLine(json, p) + System.lineSeparator()).getBytes(StandardCharsets.UTF_8));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Writes {@link #SAMPLES}: one JSON object (text, source, document, split) per line, in cache row order. */
    private static void writeSamples(Path file, List<PassageSampler.Passage> passages) {
        ObjectMapper json = new ObjectMapper();
        AtomicFile.write(file, w -> {
            for (PassageSampler.Passage p : passages) {
                w.write(sampleLine(json, p));
                w.newLine();
            }
        });
    }

    private static String sampleLine(ObjectMapper json, PassageSampler.Passage p) {
        ObjectNode n = json.createObjectNode();
        n.put("text", p.text()).put("source", p.source()).put("document", p.document()).put("split", p.test() ? "test" : "train");
        try {
            return json.writeValueAsString(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
