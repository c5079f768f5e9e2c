package tracelens.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.sql.Row;
import tracelens.activations.ActivationExtractor;
import tracelens.activations.ActivationStore;
import tracelens.activations.LayerSelection;
import tracelens.activations.Pooling;
import tracelens.corpus.TextColumns;
import tracelens.corpus.TextInput;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.progress.Progress;

/**
 * One partition of a gather, on an executor: its rows (text, source) are spooled to a local JSONL file, run through the
 * executor's model by the same extractor 'tracelens activations --shard-rows' uses (so rows are the local command's),
 * and the shards are uploaded into an attempt folder of the store's work folder. The driver commits the attempt Spark
 * accepted and deletes the others, so a retried task never doubles or drops rows.
 */
final class GatherTask implements Function2<Integer, Iterator<Row>, Iterator<GatherTask.Part>>, Serializable {
    private static final long serialVersionUID = 1L;
    static final String ATTEMPT_PREFIX = "attempt-";
    /** Test hook: the first attempt of this partition fails after uploading its shards (a task killed before it reports). */
    static final String FAIL_FIRST_ATTEMPT = "tracelens.spark.failFirstAttempt";

    /** What a partition wrote, reported to the driver. */
    record Part(int partition, String attemptDir, List<ActivationStore.Shard> shards, long texts, long tokens, long truncated,
            Map<String, String> metadata) implements Serializable {}

    private final String model;
    private final String tokenizer;
    private final String layers;
    private final String pool;
    private final Integer maxLength;
    private final int batchSize;
    private final String dtype;
    private final long shardRows;
    private final List<String> labelNames;
    private final String staging;
    private final boolean labelled;
    private final String failFirst = System.getProperty(FAIL_FIRST_ATTEMPT);

    GatherTask(String model, String tokenizer, String layers, String pool, Integer maxLength, int batchSize, String dtype, long shardRows,
            List<String> labelNames, String staging, boolean labelled) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.layers = layers;
        this.pool = pool;
        this.maxLength = maxLength;
        this.batchSize = batchSize;
        this.dtype = dtype;
        this.shardRows = shardRows;
        this.labelNames = labelNames == null ? null : new ArrayList<>(labelNames);
        this.staging = staging;
        this.labelled = labelled;
    }

    @Override
    public Iterator<Part> call(Integer partition, Iterator<Row> rows) throws IOException {
        if (!rows.hasNext()) {
            return Collections.emptyIterator();
        }
        java.nio.file.Path work = Files.createTempDirectory("tracelens-gather-" + partition + "-");
        try {
            java.nio.file.Path texts = work.resolve("part.jsonl");
            ObjectMapper json = new ObjectMapper();
            try (BufferedWriter w = Files.newBufferedWriter(texts, StandardCharsets.UTF_8)) {
                while (rows.hasNext()) {
                    Row r = rows.next();
                    var o = json.createObjectNode().put("text", r.isNullAt(0) ? "" : r.getString(0));
                    if (labelled) {
                        o.put("source", r.getString(1));
                    }
                    w.write(json.writeValueAsString(o));
                    w.write('\n');
                }
            }
            java.nio.file.Path shards = Files.createDirectory(work.resolve("shards"));
            TextInput in = TextInput.of(texts, new TextColumns("text", labelled ? "source" : null));
            HiddenStateModel m = ExecutorModels.get(model, tokenizer);
            ActivationExtractor.Sharded result;
            synchronized (m) { // one model per executor JVM, shared by its task threads: one forward at a time
                int length = maxLength != null ? maxLength : Math.min(256, m.maxPositions());
                var opts = new ActivationExtractor.Options(LayerSelection.parse(layers, m.numLayers()), List.of(),
                        Pooling.parse(pool.toLowerCase(java.util.Locale.ROOT)), length, batchSize, dtype.equals("f16") ? DType.F16 : DType.F32);
                result = ActivationExtractor.extractShards(m, in, opts, shards, Map.of(), Progress.NONE,
                        new ActivationExtractor.Sharding(shardRows, partition, labelNames));
            }
            TaskContext ctx = TaskContext.get();
            Path attempt = new Path(staging, ATTEMPT_PREFIX + (ctx != null ? ctx.taskAttemptId() : 0));
            FileSystem fs = attempt.getFileSystem(new Configuration());
            fs.mkdirs(attempt);
            for (ActivationStore.Shard s : result.shards()) {
                fs.copyFromLocalFile(false, true, new Path(shards.resolve(s.file()).toUri()), new Path(attempt, s.file()));
            }
            if (String.valueOf(partition).equals(failFirst) && ctx != null && ctx.attemptNumber() == 0) {
                throw new IllegalStateException("injected failure of partition " + partition + " after its shards were uploaded ("
                        + FAIL_FIRST_ATTEMPT + ")");
            }
            var s = result.summary();
            return List.of(new Part(partition, attempt.toString(), result.shards(), s.texts(), s.tokens(), s.truncated(),
                    new java.util.LinkedHashMap<>(result.metadata()))).iterator();
        } finally {
            tracelens.io.AtomicFolder.deleteTree(work);
        }
    }
}
