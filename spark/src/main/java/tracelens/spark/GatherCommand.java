package tracelens.spark;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import scala.Tuple2;
import tracelens.activations.ActivationStore;
import tracelens.cli.OutputOptions;
import tracelens.error.InvalidInputException;
import tracelens.progress.Progress;
import tracelens.provenance.Provenance;
import tracelens.results.Results;

@Command(name = "gather", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Run a model over a corpus on Spark and write a sharded activation store.",
        description = {"Reads JSONL or Parquet (any Hadoop filesystem path, a file or a folder of parts), runs the model once per",
            "executor over each partition (weights loaded once per executor), and writes OUT: shards of --shard-rows rows",
            "and a manifest listing exactly the committed shards. A failed or killed task is retried by Spark; only the",
            "attempt Spark accepted is committed, so no row is missing or doubled. The store appears whole or not at all.",
            "Rows keep the corpus's order; labels are in order of first appearance, as 'tracelens activations' numbers them."},
        footer = {"", "Examples:", "  tracelens-spark gather --master local[2] --input corpus.jsonl --out store/ --layers 0,3,6",
            "  spark-submit ... tracelens-spark.jar gather --input hdfs:///corpora/c4/ --format parquet --out hdfs:///stores/c4"})
public final class GatherCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    SparkOptions spark;

    @Option(names = "--input", required = true, paramLabel = "PATH", description = "The corpus: a JSONL or Parquet file, or a folder of them.")
    String input;

    @Option(names = "--format", defaultValue = "auto", paramLabel = "auto|jsonl|parquet",
            description = "Corpus format (auto: by the name's extension, .parquet or otherwise JSONL). (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--text-column", defaultValue = "text", paramLabel = "NAME", description = "Field holding the text. (default: ${DEFAULT-VALUE})")
    String textColumn;

    @Option(names = "--source-column", paramLabel = "NAME",
            description = "Field holding the source label (default: 'source', else 'label', if present).")
    String sourceColumn;

    @Option(names = "--model", defaultValue = "minilm", paramLabel = "minilm|PATH",
            description = "As 'tracelens activations --model'; a path must be readable on every executor. (default: ${DEFAULT-VALUE})")
    String model;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Tokenizer file (default: the one beside the model).")
    String tokenizer;

    @Option(names = "--layers", defaultValue = "all", paramLabel = "all|LIST", description = "Hidden states to keep, as in 'activations'. (default: ${DEFAULT-VALUE})")
    String layers;

    @Option(names = "--pool", defaultValue = "mean", paramLabel = "mean|cls|last", description = "Pooling over real tokens. (default: ${DEFAULT-VALUE})")
    String pool;

    @Option(names = "--max-length", paramLabel = "N", description = "Longest token sequence (default: 256, or the model's context when shorter).")
    Integer maxLength;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N", description = "Texts per forward pass. (default: ${DEFAULT-VALUE})")
    int batchSize;

    @Option(names = "--dtype", defaultValue = "f32", paramLabel = "f32|f16", description = "Stored precision. (default: ${DEFAULT-VALUE})")
    String dtype;

    @Option(names = "--shard-rows", defaultValue = "10000", paramLabel = "N", description = "Rows a shard (at most; a partition's last is shorter). (default: ${DEFAULT-VALUE})")
    long shardRows;

    @Option(names = "--partitions", defaultValue = "0", paramLabel = "N",
            description = "Split the corpus into N partitions in order (a range partitioning of row numbers); 0 keeps the read's own. (default: ${DEFAULT-VALUE})")
    int partitions;

    @Option(names = "--out", required = true, paramLabel = "PATH", description = "The store's folder (replaced if it is a store).")
    String out;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        long started = System.nanoTime();
        tracelens.activations.Pooling pooling = tracelens.activations.Pooling.parse(pool);
        if (pooling == tracelens.activations.Pooling.NONE) {
            throw new InvalidInputException("--pool none: a store holds pooled rows (mean, cls or last)");
        }
        if (shardRows < 1 || batchSize < 1 || partitions < 0 || (maxLength != null && maxLength < 2)) {
            throw new InvalidInputException("--shard-rows and --batch-size must be positive, --partitions >= 0, --max-length >= 2");
        }
        if (!dtype.equals("f32") && !dtype.equals("f16")) {
            throw new InvalidInputException("--dtype must be f32 or f16, found '" + dtype + "'");
        }
        String fmt = format.equals("auto") ? (input.replaceAll("/+$", "").endsWith(".parquet") ? "parquet" : "jsonl") : format;
        if (!fmt.equals("jsonl") && !fmt.equals("parquet")) {
            throw new InvalidInputException("--format must be auto, jsonl or parquet, found '" + format + "'");
        }
        SparkSession session = spark.session("gather");
        try {
            Configuration conf = session.sparkContext().hadoopConfiguration();
            Path in = new Path(input);
            if (!HadoopPaths.exists(in, conf)) {
                throw new InvalidInputException(input + ": the corpus does not exist");
            }
            Path target = new Path(out);
            checkReplaceable(target, conf);
            Dataset<Row> df = fmt.equals("parquet") ? session.read().parquet(input) : session.read().json(input);
            List<String> columns = Arrays.asList(df.columns());
            if (df.columns().length == 0 || columns.contains("_corrupt_record")) {
                throw new InvalidInputException(input + ": not JSONL with one object a line (Spark found malformed records)");
            }
            if (!columns.contains(textColumn)) {
                throw new InvalidInputException(input + ": no column '" + textColumn + "' (columns: " + String.join(", ", columns) + "); name it with --text-column");
            }
            String source = sourceColumn;
            if (source != null && !columns.contains(source)) {
                throw new InvalidInputException(input + ": no column '" + source + "' (columns: " + String.join(", ", columns) + ")");
            }
            if (source == null) {
                source = columns.contains("source") ? "source" : columns.contains("label") ? "label" : null;
            }
            JavaRDD<Row> rows = (source == null ? df.select(df.col(textColumn).cast("string"))
                    : df.select(df.col(textColumn).cast("string"), df.col(source).cast("string"))).javaRDD();
            if (partitions > 0) { // range partitions of the row numbers keep the corpus's order
                rows = rows.zipWithIndex().mapToPair(Tuple2::swap).sortByKey(true, partitions).values();
            }
            List<String> labelNames = source == null ? null : labelNames(rows, input, source);
            Path staging = new Path(target.getParent() == null ? new Path(".") : target.getParent(),
                    "." + target.getName() + "." + session.sparkContext().applicationId() + ".partial");
            HadoopPaths.deleteQuietly(staging, conf);
            try {
                HadoopPaths.fs(staging, conf).mkdirs(staging);
                GatherTask task = new GatherTask(model, tokenizer, layers, pooling.name(), maxLength, batchSize, dtype, shardRows,
                        labelNames, staging.toString(), source != null);
                Progress progress = tracelens.cli.ProgressBar.of(spec.commandLine().getErr(), output);
                int parts = rows.getNumPartitions();
                progress.start("gathering " + parts + " partitions", parts);
                TaskProgress.attach(session, progress);
                List<GatherTask.Part> results;
                try {
                    results = new ArrayList<>(rows.mapPartitionsWithIndex(task, false).collect());
                } catch (Exception e) { // a failed job (SparkException, undeclared by Scala)
                    throw JobFailures.unwrap(e);
                } finally {
                    TaskProgress.detach(session);
                    progress.end();
                }
                results.sort(java.util.Comparator.comparingInt(GatherTask.Part::partition));
                ActivationStore.Manifest manifest = commitShards(results, staging, conf, fmt, source, started);
                FileSystem fs = HadoopPaths.fs(staging, conf);
                fs.setWriteChecksum(false); // no .crc beside the manifest on a local filesystem
                try (var w = fs.create(new Path(staging, ActivationStore.MANIFEST), true)) {
                    w.write(ActivationStore.toJson(manifest).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                replace(target, staging, conf);
                report(manifest, results, started);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
            } finally {
                HadoopPaths.deleteQuietly(staging, conf); // gone after the rename; after a failure, nothing partial stays
            }
        } finally {
            session.stop();
        }
        return 0;
    }

    /** Label names in order of first appearance (integer labels in numeric order), as 'tracelens activations' numbers them. */
    private static List<String> labelNames(JavaRDD<Row> rows, String input, String column) {
        List<Tuple2<String, Long>> first = rows.zipWithIndex()
                .mapToPair(t -> new Tuple2<>(t._1().isNullAt(1) ? "\u0000null" : t._1().getString(1), t._2()))
                .reduceByKey(Math::min).collect();
        List<Tuple2<String, Long>> sorted = new ArrayList<>(first);
        sorted.sort(java.util.Comparator.comparingLong(Tuple2::_2));
        List<String> names = new ArrayList<>();
        for (Tuple2<String, Long> t : sorted) {
            if (t._1().equals("\u0000null")) {
                throw new InvalidInputException(input + ": row " + (t._2() + 1) + " has no value in column '" + column + "'");
            }
            names.add(t._1());
        }
        return tracelens.corpus.LabelOrder.allIntegers(names) ? tracelens.corpus.LabelOrder.order(names) : names;
    }

    /** Moves each accepted attempt's shards into the store folder and drops every attempt folder (failed ones included). */
    private ActivationStore.Manifest commitShards(List<GatherTask.Part> results, Path staging, Configuration conf, String fmt,
            String source, long started) throws IOException {
        FileSystem fs = HadoopPaths.fs(staging, conf);
        List<ActivationStore.Shard> shards = new ArrayList<>();
        Map<String, String> metadata = null;
        long texts = 0;
        long tokens = 0;
        long truncated = 0;
        for (GatherTask.Part p : results) {
            for (ActivationStore.Shard s : p.shards()) {
                HadoopPaths.rename(new Path(p.attemptDir(), s.file()), new Path(staging, s.file()), conf);
                shards.add(s);
            }
            if (metadata == null && p.metadata() != null) {
                metadata = new LinkedHashMap<>(p.metadata());
            }
            texts += p.texts();
            tokens += p.tokens();
            truncated += p.truncated();
        }
        for (FileStatus st : fs.listStatus(staging)) {
            if (st.isDirectory() && st.getPath().getName().startsWith(GatherTask.ATTEMPT_PREFIX)) {
                fs.delete(st.getPath(), true);
            }
        }
        if (metadata == null) {
            throw new InvalidInputException(input + ": no texts found (empty corpus)");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("layers", metadata.get("layers"));
        settings.put("pool", metadata.get("pool"));
        settings.put("max_length", metadata.get("max_length"));
        settings.put("dtype", metadata.get("dtype"));
        settings.put("format", fmt);
        settings.put("text_column", textColumn);
        settings.put("source_column", String.valueOf(source));
        settings.put("shard_rows", String.valueOf(shardRows));
        settings.put("partitions", String.valueOf(results.size()));
        String digest = null;
        if (new Path(input).toUri().getScheme() == null || "file".equals(new Path(input).toUri().getScheme())) {
            java.nio.file.Path local = java.nio.file.Path.of(new Path(input).toUri().getPath());
            digest = java.nio.file.Files.isRegularFile(local) ? tracelens.provenance.FileDigest.of(local) : null;
        }
        Provenance provenance = Provenance.now("spark gather", new Provenance.ModelRef(metadata.get("model"), Provenance.modelDigest(model)),
                List.of(new Provenance.FileRef(input, digest)), settings, null);
        metadata.put("input", input);
        metadata.put("num_texts", String.valueOf(texts));
        metadata.put("num_tokens", String.valueOf(tokens));
        metadata.put("truncated", String.valueOf(truncated));
        metadata.put("provenance", provenance.toJson());
        metadata.remove("store_part");
        return new ActivationStore.Manifest(texts, shards, metadata);
    }

    /** OUT may be missing, an empty folder or a store; anything else is the user's and is left alone. */
    private static void checkReplaceable(Path target, Configuration conf) {
        try {
            FileSystem fs = HadoopPaths.fs(target, conf);
            if (!fs.exists(target)) {
                return;
            }
            if (!fs.getFileStatus(target).isDirectory()) {
                throw new InvalidInputException(target + ": is a file; a store is a folder (choose another --out)");
            }
            FileStatus[] entries = fs.listStatus(target);
            if (entries.length > 0 && !fs.exists(new Path(target, ActivationStore.MANIFEST))) {
                throw new InvalidInputException(target + ": is a folder that is not an activation store and not empty: it is left alone (choose another --out)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + target + ": " + e.getMessage(), e);
        }
    }

    /** The complete store replaces OUT: an old store is moved aside first and deleted after. */
    private static void replace(Path target, Path staging, Configuration conf) throws IOException {
        FileSystem fs = HadoopPaths.fs(target, conf);
        Path aside = null;
        if (fs.exists(target)) {
            aside = new Path(staging.getParent(), staging.getName() + "-old");
            HadoopPaths.rename(target, aside, conf);
        }
        try {
            HadoopPaths.rename(staging, target, conf);
        } catch (RuntimeException e) {
            if (aside != null) {
                HadoopPaths.rename(aside, target, conf);
            }
            throw e;
        }
        if (aside != null) {
            fs.delete(aside, true);
        }
    }

    private void report(ActivationStore.Manifest m, List<GatherTask.Part> results, long started) {
        double seconds = (System.nanoTime() - started) / 1e9;
        long tokens = Long.parseLong(m.metadata().get("num_tokens"));
        PrintWriter o = spec.commandLine().getOut();
        if (output.json()) {
            ObjectNode r = Results.result("spark gather", Provenance.fromJson(m.metadata().get("provenance"), out));
            r.put("output", out).put("rows", m.rows()).put("shards", m.shards().size()).put("partitions", results.size())
                    .put("tokens", tokens).put("seconds", seconds).put("tokens_per_second", tokens / seconds)
                    .put("rows_per_second", m.rows() / seconds);
            ArrayNode names = r.putArray("label_names");
            String ln = m.metadata().get("label_names");
            if (ln != null) {
                try {
                    Results.MAPPER.readTree(ln).forEach(names::add);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            o.println(Results.write(r));
        } else {
            o.printf(java.util.Locale.ROOT, "wrote %s: %d rows in %d shards from %d partitions, %d tokens (%.1f s, %.0f tokens/s)%n", out,
                    m.rows(), m.shards().size(), results.size(), tokens, seconds, tokens / seconds);
        }
        o.flush();
    }
}
