package tracelens.activations;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import tracelens.corpus.TextInput;
import tracelens.corpus.TextRecord;
import tracelens.error.InvalidInputException;
import tracelens.error.NumericalFailureException;
import tracelens.io.AtomicFile;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.model.SafeTensorsWriter;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.nn.Hooks;
import tracelens.provenance.FileDigest;
import tracelens.provenance.Provenance;
import tracelens.model.SafeTensors;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;

/**
 * Runs a frozen model over a text file and writes the chosen layers' hidden states to one safetensors file.
 *
 * <p>Two streaming passes keep memory bounded whatever the input size: the first tokenizes to learn the
 * number of texts, the longest sequence and the source labels (so every tensor's shape is known and the
 * header can be written first); the second reads the texts again in chunks, sorts each chunk by length so
 * batches carry little padding, runs the model and writes each row at its input position.
 *
 * <p>Output tensors: {@code layer.<i>} (N, C) when pooled, or (N, T, C) plus {@code mask} (N, T, U8) and
 * {@code input_ids} (N, T, I64) for {@link Pooling#NONE}, each row starting at its first token and zero after
 * its last; {@code labels} (N, I64) when the input names
 * sources, with the names in label order in the metadata field {@code label_names}.
 */
public final class ActivationExtractor {
    /** Format tag stored in the metadata so readers can check what they open. */
    public static final String FORMAT = "tracelens.activations/1";

    /**
     * {@code layers}: hidden states, stored as {@code layer.<i>}; {@code sites}: any other activation sites of the model,
     * stored under the site's name (e.g. {@code blocks.3.attn_out}).
     */
    public record Options(int[] layers, List<String> sites, Pooling pool, int maxLength, int batchSize, DType dtype, Window window) {
        public Options(int[] layers, Pooling pool, int maxLength, int batchSize, DType dtype) {
            this(layers, List.of(), pool, maxLength, batchSize, dtype);
        }

        public Options(int[] layers, List<String> sites, Pooling pool, int maxLength, int batchSize, DType dtype) {
            this(layers, sites, pool, maxLength, batchSize, dtype, Window.TRACELENS);
        }

        /** These options with texts read through {@code w} (maxLength being its T). */
        public Options withWindow(Window w) {
            return new Options(layers, sites, pool, maxLength, batchSize, dtype, w);
        }

        public Options {
            sites = List.copyOf(sites);
            if (batchSize <= 0) {
                throw InvalidInputException.field("batch_size", " must be positive, found " + batchSize);
            }
            if (maxLength < 2) {
                throw InvalidInputException.field("max_length", " must be at least 2, found " + maxLength);
            }
            if (dtype != DType.F32 && dtype != DType.F16) {
                throw InvalidInputException.field("dtype", " must be f32 or f16, found " + dtype);
            }
        }
    }

    /** What a run did: counts, shapes and speed. */
    public record Summary(long texts, long tokens, long truncated, int width, int hiddenSize, int[] layers,
            List<String> labelNames, double seconds) {
        public double tokensPerSecond() {
            return seconds > 0 ? tokens / seconds : 0;
        }
    }

    /** Tensor name -> site: {@code layer.<i>} for hidden states, then every extra site under its own name. */
    static Map<String, String> tensors(HiddenStateModel model, Options opts) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int l : opts.layers()) {
            out.put("layer." + l, model.hiddenStateSite(l));
        }
        for (String site : opts.sites()) {
            model.site(site); // fails naming the site and the valid ones
            if (out.putIfAbsent(site, site) != null) {
                throw InvalidInputException.field("sites", " names '" + site + "' twice");
            }
        }
        return out;
    }

    /** The provenance of an extraction: model, input, the settings that shape the numbers, and {@code extra} settings. */
    public static Provenance provenance(String model, Provenance.FileRef input, Options opts, Map<String, String> extra) {
        Map<String, String> settings = new LinkedHashMap<>(extra);
        settings.put("layers", Arrays.toString(opts.layers()));
        settings.put("sites", String.join(",", opts.sites()));
        settings.put("pool", opts.pool().name().toLowerCase());
        settings.put("max_length", String.valueOf(opts.maxLength()));
        settings.put("dtype", opts.dtype().name().toLowerCase());
        if (opts.window() != Window.TRACELENS) { // recorded when not the default, so earlier caches keep their provenance
            settings.put("window", opts.window().name().toLowerCase());
        }
        return Provenance.now("activations", new Provenance.ModelRef(model, Provenance.modelDigest(model)), List.of(input),
                settings, null);
    }

    /** Texts per sorted chunk, in batches: large enough to group similar lengths, small enough for the heap. */
    private static final int CHUNK_BATCHES = 16;

    private ActivationExtractor() {}

    public static Summary extract(HiddenStateModel model, TextInput input, Options opts, Path out,
            Map<String, String> extraMetadata, Progress progress) {
        return extract(model, input, opts, out, extraMetadata, progress, false);
    }

    /**
     * With {@code resumable}, the work file ({@code out.partial}) and a progress record ({@code out.progress}: the
     * number of finished chunks, written after their rows are flushed to disk) survive an interruption, and a rerun
     * with the same input and settings continues after the last finished chunk: nothing is lost or written twice.
     */
    public static Summary extract(HiddenStateModel model, TextInput input, Options opts, Path out,
            Map<String, String> extraMetadata, Progress progress, boolean resumable) {
        return run(model, input, opts, out, extraMetadata, progress, resumable, null).summary();
    }

    /**
     * How rows are split into shards: {@code shardRows} rows a shard, named {@link ActivationStore#shardName}(part, i);
     * {@code labelNames}, when given, fixes the label ids (every writer of one store must agree: a Spark job's
     * partitions each see only some sources) and a source outside them is an error.
     */
    public record Sharding(long shardRows, int part, List<String> labelNames) {
        public Sharding {
            if (shardRows < 1) {
                throw InvalidInputException.field("shard_rows", " must be positive, found " + shardRows);
            }
            labelNames = labelNames == null ? null : List.copyOf(labelNames);
        }
    }

    /** What a sharded extraction wrote: its shards in row order and the metadata its manifest carries. */
    public record Sharded(Summary summary, List<ActivationStore.Shard> shards, Map<String, String> metadata) {}

    /**
     * Writes the rows of {@code input} as shards into the existing folder {@code dir} (no manifest: see
     * {@link #extractStore} for a whole store); pooled activations only.
     */
    public static Sharded extractShards(HiddenStateModel model, TextInput input, Options opts, Path dir,
            Map<String, String> extraMetadata, Progress progress, Sharding sharding) {
        return run(model, input, opts, dir, extraMetadata, progress, false, sharding);
    }

    /** A whole sharded store at {@code out} (a folder that must not exist), committed by renaming its work folder. */
    public static Sharded extractStore(HiddenStateModel model, TextInput input, Options opts, Path out,
            Map<String, String> extraMetadata, Progress progress, long shardRows) {
        Sharded[] result = new Sharded[1];
        try {
            ActivationStore.commit(out, dir -> {
                result[0] = extractShards(model, input, opts, dir, extraMetadata, progress, new Sharding(shardRows, 0, null));
                ActivationStore.writeManifest(dir, new ActivationStore.Manifest(result[0].summary().texts(), result[0].shards(),
                        result[0].metadata()));
            });
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return result[0];
    }

    private static Sharded run(HiddenStateModel model, TextInput input, Options opts, Path out,
            Map<String, String> extraMetadata, Progress progress, boolean resumable, Sharding sharding) {
        long started = System.nanoTime();
        if (sharding != null && opts.pool() == Pooling.NONE) {
            throw InvalidInputException.field("shard_rows", ": a sharded store holds pooled rows; --pool none writes a single file");
        }
        int maxLength = opts.maxLength();
        if (maxLength > model.maxPositions()) {
            throw InvalidInputException.field("max_length", " " + maxLength + " exceeds the model's " + model.maxPositions() + " positions");
        }
        TextTokenizer tok = model.tokenizer();
        Map<String, String> tensors = tensors(model, opts); // tensor name -> site
        Provenance provenance = provenance(model.id(), new Provenance.FileRef(input.path().toString(), FileDigest.of(input.path())),
                opts, extraMetadata);
        if (resumable) { // a resumed run keeps the provenance (and so the header) of the run it continues
            Map<String, String> old = SafeTensors.headerMetadata(out.resolveSibling(out.getFileName() + ".partial"));
            if (old.containsKey("provenance")
                    && Provenance.fromJson(old.get("provenance"), out + ".partial").differenceFrom(provenance) == null) {
                provenance = Provenance.fromJson(old.get("provenance"), out + ".partial");
            }
        }

        // Pass 1: count, longest sequence, truncations, label names in order of first appearance.
        Scan scan = new Scan(sharding == null ? null : sharding.labelNames(), input.path());
        progress.start("tokenizing " + input.path().getFileName(), 0);
        try {
            input.forEach(r -> {
                TextTokenizer.Tokens t = opts.window().encode(tok, r.text(), maxLength);
                scan.add(t, r, input.hasSources());
                progress.advance(1);
            });
        } finally {
            progress.end();
        }
        if (scan.count == 0) {
            throw InvalidInputException.at(input.path(), "no texts found (empty input)");
        }
        if (sharding == null || sharding.labelNames() == null) {
            scan.integerLabelsInNumericOrder();
        }

        int c = model.hiddenSize();
        int width = scan.width;
        boolean tokens = opts.pool() == Pooling.NONE;
        long n = scan.count;
        List<SafeTensorsWriter.Spec> specs = new ArrayList<>();
        for (Map.Entry<String, String> e : tensors.entrySet()) {
            long channels = model.site(e.getValue()).shape()[2];
            long[] shape = tokens ? new long[] {n, width, channels} : new long[] {n, channels};
            specs.add(new SafeTensorsWriter.Spec(e.getKey(), opts.dtype(), shape));
        }
        if (tokens) {
            specs.add(new SafeTensorsWriter.Spec("mask", DType.U8, new long[] {n, width}));
            specs.add(new SafeTensorsWriter.Spec("input_ids", DType.I64, new long[] {n, width}));
        }
        boolean labelled = input.hasSources();
        if (labelled) {
            specs.add(new SafeTensorsWriter.Spec("labels", DType.I64, new long[] {n}));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("model", model.id());
        meta.put("architecture", model.architecture());
        meta.put("num_layers", String.valueOf(model.numLayers()));
        meta.put("hidden_size", String.valueOf(c));
        meta.put("layers", Arrays.toString(opts.layers()));
        if (!opts.sites().isEmpty()) {
            meta.put("sites", json(opts.sites()));
        }
        meta.put("pool", opts.pool().name().toLowerCase());
        meta.put("max_length", String.valueOf(maxLength));
        meta.put("dtype", opts.dtype().name().toLowerCase());
        meta.put("input", input.path().toString());
        meta.put("num_texts", String.valueOf(n));
        meta.put("num_tokens", String.valueOf(scan.tokens));
        meta.put("truncated", String.valueOf(scan.truncated));
        if (labelled) {
            meta.put("label_names", json(new ArrayList<>(scan.labels.keySet())));
        }
        meta.putAll(extraMetadata);
        meta.put("provenance", provenance.toJson());

        if (sharding != null) {
            return writeShards(model, input, opts, out, tensors, specs, meta, scan, width, progress, sharding, started);
        }
        // Pass 2: run the model chunk by chunk and write rows in place.
        Path record = out.resolveSibling(out.getFileName() + ".progress");
        try (SafeTensorsWriter writer = resumable ? SafeTensorsWriter.resumable(out, specs, meta) : SafeTensorsWriter.create(out, specs, meta);
             NDManager root = DjlRuntime.manager()) {
            if (!resumable) {
                ChunkRecord.delete(record); // a killed resumable run's, now abandoned (its work file went with create)
            }
            long skipChunks = writer.resumed() ? ChunkRecord.read(record) : 0;
            Writer rows = new Writer(model, opts, tensors, writer::write, root, width, progress, resumable ? record : null, skipChunks,
                    writer::force);
            progress.start("extracting " + opts.layers().length + " layers" + (skipChunks > 0 ? " (resuming after "
                    + skipChunks * rows.chunkSize + " texts)" : ""), n);
            try {
                long[] index = {0};
                input.forEach(r -> {
                    long i = index[0]++;
                    if (i / rows.chunkSize < skipChunks) {
                        progress.advance(1); // done by the interrupted run
                    } else {
                        rows.add(i, opts.window().encode(tok, r.text(), maxLength));
                    }
                });
                rows.flush();
                if (labelled) {
                    writer.writeLongs("labels", 0, scan.labelIds.toArray());
                }
                writer.commit();
            } catch (RuntimeException e) { // an error, not a kill: nothing to resume, nothing left on the disk
                writer.discard();
                ChunkRecord.delete(record);
                throw e;
            } finally {
                progress.end();
            }
        }
        ChunkRecord.delete(record);
        double seconds = (System.nanoTime() - started) / 1e9;
        return new Sharded(new Summary(n, scan.tokens, scan.truncated, width, c, opts.layers(),
                new ArrayList<>(scan.labels.keySet()), seconds), List.of(), meta);
    }

    /** Pass 2 of a sharded extraction: rows go to their shard, and each shard is committed as soon as it is full. */
    private static Sharded writeShards(HiddenStateModel model, TextInput input, Options opts, Path dir, Map<String, String> tensors,
            List<SafeTensorsWriter.Spec> specs, Map<String, String> meta, Scan scan, int width, Progress progress, Sharding sharding,
            long started) {
        Map<String, String> shardMeta = new LinkedHashMap<>(meta);
        for (String wholeStore : List.of("provenance", "input", "num_texts", "num_tokens", "truncated")) {
            shardMeta.remove(wholeStore); // the manifest's: a shard holds some rows of the store
        }
        long n = scan.count;
        try (ShardSink sink = new ShardSink(dir, specs, shardMeta, n, sharding, input.hasSources() ? scan.labelIds.toArray() : null);
             NDManager root = DjlRuntime.manager()) {
            Writer rows = new Writer(model, opts, tensors, sink, root, width, progress, null, 0);
            progress.start("extracting " + opts.layers().length + " layers into shards of " + sharding.shardRows() + " rows", n);
            try {
                long[] index = {0};
                input.forEach(r -> rows.add(index[0]++, opts.window().encode(model.tokenizer(), r.text(), opts.maxLength())));
                rows.flush();
                sink.finishAll();
            } catch (RuntimeException e) {
                sink.discard();
                throw e;
            } finally {
                progress.end();
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            return new Sharded(new Summary(n, scan.tokens, scan.truncated, width, model.hiddenSize(), opts.layers(),
                    new ArrayList<>(scan.labels.keySet()), seconds), sink.shards(), meta);
        }
    }

    /** Where the model's rows go: one activation file, or shards of a store. */
    private interface RowSink {
        void write(String tensor, long elementOffset, ByteBuffer data);

        /** Every tensor of input row {@code index} is written. */
        default void rowDone(long index) {}
    }

    /** Rows routed to shard row / shardRows at row % shardRows; a full shard gets its labels and is committed at once. */
    private static final class ShardSink implements RowSink, AutoCloseable {
        private final Path dir;
        private final Map<String, Long> channels = new LinkedHashMap<>();
        private final List<SafeTensorsWriter.Spec> specs;
        private final Map<String, String> meta;
        private final long n;
        private final Sharding sharding;
        private final long[] labels;
        private final SafeTensorsWriter[] writers;
        private final long[] done;
        private final ActivationStore.Shard[] finished;

        ShardSink(Path dir, List<SafeTensorsWriter.Spec> specs, Map<String, String> meta, long n, Sharding sharding, long[] labels) {
            this.dir = dir;
            this.specs = specs;
            this.meta = meta;
            this.n = n;
            this.sharding = sharding;
            this.labels = labels;
            specs.forEach(sp -> channels.put(sp.name(), sp.shape().length > 1 ? sp.shape()[1] : 1));
            int shards = Math.toIntExact((n + sharding.shardRows() - 1) / sharding.shardRows());
            writers = new SafeTensorsWriter[shards];
            done = new long[shards];
            finished = new ActivationStore.Shard[shards];
        }

        private long rowsIn(int s) {
            return Math.min(sharding.shardRows(), n - s * sharding.shardRows());
        }

        private SafeTensorsWriter writer(int s) {
            if (writers[s] == null) {
                List<SafeTensorsWriter.Spec> shardSpecs = new ArrayList<>();
                for (SafeTensorsWriter.Spec sp : specs) {
                    long[] shape = sp.shape().clone();
                    shape[0] = rowsIn(s);
                    shardSpecs.add(new SafeTensorsWriter.Spec(sp.name(), sp.dtype(), shape));
                }
                Map<String, String> m = new LinkedHashMap<>(meta);
                m.put("store_part", String.valueOf(sharding.part()));
                m.put("num_texts", String.valueOf(rowsIn(s)));
                writers[s] = SafeTensorsWriter.create(dir.resolve(ActivationStore.shardName(sharding.part(), s)), shardSpecs, m);
            }
            return writers[s];
        }

        @Override
        public void write(String tensor, long elementOffset, ByteBuffer data) {
            long c = channels.get(tensor);
            long row = elementOffset / c;
            int s = (int) (row / sharding.shardRows());
            writer(s).write(tensor, (row % sharding.shardRows()) * c, data);
        }

        @Override
        public void rowDone(long index) {
            int s = (int) (index / sharding.shardRows());
            if (++done[s] == rowsIn(s)) {
                finish(s);
            }
        }

        private void finish(int s) {
            SafeTensorsWriter w = writer(s);
            if (labels != null) {
                long from = s * sharding.shardRows();
                w.writeLongs("labels", 0, Arrays.copyOfRange(labels, (int) from, (int) (from + rowsIn(s))));
            }
            w.commit();
            w.close();
            writers[s] = null;
            Path file = dir.resolve(ActivationStore.shardName(sharding.part(), s));
            try {
                finished[s] = ActivationStore.describe(file, rowsIn(s));
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot read back " + file + ": " + e.getMessage(), e);
            }
        }

        void finishAll() {
            for (int s = 0; s < finished.length; s++) {
                if (finished[s] == null) {
                    throw new IllegalStateException("shard " + s + " has " + done[s] + " of " + rowsIn(s) + " rows");
                }
            }
        }

        List<ActivationStore.Shard> shards() {
            return List.of(finished);
        }

        /** Removes every shard this sink wrote or began: nothing half-written stays. */
        void discard() {
            for (int s = 0; s < writers.length; s++) {
                if (writers[s] != null) {
                    writers[s].discard();
                    writers[s] = null;
                }
                try {
                    Files.deleteIfExists(dir.resolve(ActivationStore.shardName(sharding.part(), s)));
                } catch (IOException e) {
                    // the caller's work folder goes with it
                }
            }
        }

        @Override
        public void close() {
            for (SafeTensorsWriter w : writers) {
                if (w != null) {
                    w.discard();
                }
            }
        }
    }

    private static String json(Object o) {
        try {
            return new ObjectMapper().writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The number of finished chunks of a resumable extraction, in a small text file written atomically. */
    static final class ChunkRecord {
        static long read(Path file) {
            try {
                return Files.isRegularFile(file) ? Long.parseLong(Files.readString(file).strip()) : 0;
            } catch (IOException | NumberFormatException e) {
                return 0; // unreadable: start over (the rows are rewritten, never duplicated)
            }
        }

        static void write(Path file, long chunks) {
            AtomicFile.writeString(file, Long.toString(chunks));
        }

        static void delete(Path file) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // a stale record only makes a later, different run start over
            }
        }
    }

    /** Pass-one statistics. */
    private static final class Scan {
        long count;
        long tokens;
        long truncated;
        int width;
        final Map<String, Integer> labels = new LinkedHashMap<>();
        final LongList labelIds = new LongList();
        private final boolean fixed;
        private final Path input;

        /** {@code fixedLabels}: the label ids are these names' positions, and no other source is accepted. */
        Scan(List<String> fixedLabels, Path input) {
            this.fixed = fixedLabels != null;
            this.input = input;
            if (fixed) {
                fixedLabels.forEach(l -> labels.putIfAbsent(l, labels.size()));
            }
        }

        void add(TextTokenizer.Tokens t, TextRecord r, boolean labelled) {
            count++;
            tokens += t.length();
            width = Math.max(width, t.length());
            if (t.truncated()) {
                truncated++;
            }
            if (labelled) {
                if (fixed && !labels.containsKey(r.source())) {
                    throw InvalidInputException.at(input, "text " + count + " has source '" + r.source() + "', not among the store's "
                            + labels.size() + " label names");
                }
                labelIds.add(labels.computeIfAbsent(r.source(), k -> labels.size()));
            }
        }

        /** Integer labels keep their values' order (classes 0, 1 for labels 0, 1 whichever comes first); see LabelOrder. */
        void integerLabelsInNumericOrder() {
            if (!tracelens.corpus.LabelOrder.allIntegers(labels.keySet())) {
                return;
            }
            List<String> ordered = tracelens.corpus.LabelOrder.order(labels.keySet());
            long[] newId = new long[labels.size()];
            labels.forEach((name, id) -> newId[id] = ordered.indexOf(name));
            labelIds.remap(newId);
            labels.clear();
            for (int i = 0; i < ordered.size(); i++) {
                labels.put(ordered.get(i), i);
            }
        }
    }

    /** A growable long array (labels of a 100k-line input take 800 KB, not 100k boxed objects). */
    private static final class LongList {
        private long[] a = new long[1024];
        private int size;

        void add(long v) {
            if (size == a.length) {
                a = Arrays.copyOf(a, size * 2);
            }
            a[size++] = v;
        }

        void remap(long[] to) {
            for (int i = 0; i < size; i++) {
                a[i] = to[(int) a[i]];
            }
        }

        long[] toArray() {
            return Arrays.copyOf(a, size);
        }
    }

    /** Pass two: buffers a chunk, sorts it by length, batches it through the model, writes rows in place. */
    private static final class Writer {
        private record Item(long index, TextTokenizer.Tokens tokens) {}

        private final HiddenStateModel model;
        private final Options opts;
        private final Map<String, String> tensors;
        private final RowSink out;
        private final Runnable force;
        private final NDManager root;
        private final int width;
        private final Progress progress;
        private final List<Item> chunk = new ArrayList<>();
        final int chunkSize;
        private final Path record;
        private long chunksDone;

        Writer(HiddenStateModel model, Options opts, Map<String, String> tensors, RowSink out, NDManager root, int width,
                Progress progress, Path record, long chunksDone) {
            this(model, opts, tensors, out, root, width, progress, record, chunksDone, () -> {});
        }

        Writer(HiddenStateModel model, Options opts, Map<String, String> tensors, RowSink out, NDManager root, int width,
                Progress progress, Path record, long chunksDone, Runnable force) {
            this.force = force;
            this.tensors = tensors;
            this.chunkSize = opts.batchSize() * CHUNK_BATCHES;
            this.record = record;
            this.chunksDone = chunksDone;
            this.model = model;
            this.opts = opts;
            this.out = out;
            this.root = root;
            this.width = width;
            this.progress = progress;
        }

        void add(long index, TextTokenizer.Tokens tokens) {
            chunk.add(new Item(index, tokens));
            if (chunk.size() >= chunkSize) {
                flush();
            }
        }

        void flush() {
            chunk.sort(Comparator.comparingInt(i -> i.tokens().length()));
            for (int from = 0; from < chunk.size(); from += opts.batchSize()) {
                List<Item> items = chunk.subList(from, Math.min(chunk.size(), from + opts.batchSize()));
                runBatch(items);
                progress.advance(items.size());
            }
            if (record != null && !chunk.isEmpty()) {
                force.run();
                ChunkRecord.write(record, ++chunksDone);
            }
            chunk.clear();
        }

        private void runBatch(List<Item> items) {
            TokenBatch whole = opts.window().batch(items.stream().map(Item::tokens).toList(), model, opts.maxLength());
            int step = TokenBatch.rowsPerPass(whole.batch(), whole.width(), 16); // see there for why 16
            for (int from = 0; from < whole.batch(); from += step) {
                int to = Math.min(whole.batch(), from + step);
                runSlice(whole.rows(from, to), items.subList(from, to));
            }
        }

        /** Rows of one batch, padded to the batch's width, through the model; their rows written in place. */
        private void runSlice(TokenBatch batch, List<Item> items) {
            int b = batch.batch();
            int t = batch.width();
            try (NDManager scope = root.newSubManager()) {
                Hooks hooks = new Hooks(scope);
                tensors.values().forEach(hooks::record);
                model.forward(scope, batch, hooks);
                NDArray weights = opts.pool() == Pooling.NONE ? null
                        : scope.create(opts.pool().weights(batch), new Shape(b, 1, t));
                for (Map.Entry<String, String> e : tensors.entrySet()) {
                    String name = e.getKey();
                    NDArray act = hooks.recorded(e.getValue());
                    int c = (int) act.getShape().get(2);
                    if (weights == null) {
                        float[] h = act.toFloatArray(); // (B, T, C)
                        for (int i = 0; i < b; i++) {
                            // in the file every row starts at its first real token, whatever side the batch padded
                            int n = batch.lengths()[i];
                            int first = batch.padLeft() ? t - n : 0;
                            out.write(name, items.get(i).index() * width * (long) c, encode(name, items.get(i).index(), h, (i * t + first) * c, n * c));
                        }
                    } else {
                        float[] pooled = weights.matMul(act).toFloatArray(); // (B, 1, C)
                        for (int i = 0; i < b; i++) {
                            out.write(name, items.get(i).index() * c, encode(name, items.get(i).index(), pooled, i * c, c));
                        }
                    }
                }
            }
            if (opts.pool() == Pooling.NONE) {
                for (int i = 0; i < b; i++) {
                    long[] ids = items.get(i).tokens().ids();
                    ByteBuffer mask = ByteBuffer.allocate(ids.length);
                    ByteBuffer idBytes = ByteBuffer.allocate(ids.length * 8).order(ByteOrder.LITTLE_ENDIAN);
                    for (long id : ids) {
                        mask.put((byte) 1);
                        idBytes.putLong(id);
                    }
                    long row = items.get(i).index() * width;
                    out.write("mask", row, mask.flip());
                    out.write("input_ids", row, idBytes.flip());
                }
            }
            for (Item item : items) {
                out.rowDone(item.index());
            }
        }

        /** The row's bytes in the file's dtype; a value that is not finite, or not finite in f16, stops the run. */
        private ByteBuffer encode(String tensor, long row, float[] src, int from, int count) {
            boolean half = opts.dtype() == DType.F16;
            for (int i = 0; i < count; i++) {
                float v = src[from + i];
                if (!Float.isFinite(v) || (half && Math.abs(v) > 65504f)) {
                    throw new NumericalFailureException("input row " + (row + 1) + ", " + tensor + ": the model produced " + v
                            + (Float.isFinite(v) ? ", beyond f16's range (use --dtype f32)" : " (its weights or configuration overflow)"));
                }
            }
            if (half) {
                ByteBuffer b = ByteBuffer.allocate(count * 2).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < count; i++) {
                    b.putShort(DType.floatToHalf(src[from + i]));
                }
                return b.flip();
            }
            ByteBuffer b = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(src, from, count);
            return b;
        }
    }
}
