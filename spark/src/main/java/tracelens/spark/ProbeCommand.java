package tracelens.spark;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.activations.ActivationExtractor;
import tracelens.cli.OutputOptions;
import tracelens.error.InvalidInputException;
import tracelens.model.DType;
import tracelens.model.SafeTensorsWriter;
import tracelens.provenance.Provenance;
import tracelens.random.Mt19937;
import tracelens.results.Results;
import tracelens.sip.SipTrain;

@Command(name = "probe", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Source identifiers on a sharded store: linear by Spark MLlib over every row, MLP on a bounded driver-side sample.",
        description = {"The split is 'tracelens sip train --split token-row's: the first --train-fraction of numpy's legacy",
            "RandomState(--seed-data) permutation of the rows train, the rest are held out, so the two can be compared.",
            "Linear: MLlib's multinomial logistic regression (L-BFGS, --reg L2) on the training rows, accuracy on the held-out",
            "ones. --mlp: the MLP identifier of 'sip train' on at most --driver-sample rows (a seeded draw, same split),",
            "collected to the driver: its memory holds driver-sample x (stored width) floats per layer."},
        footer = {"", "Example:", "  tracelens-spark probe --master local[2] --store store/ --layers 3,6 --mlp --json"})
public final class ProbeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    SparkOptions spark;

    @Option(names = "--store", required = true, paramLabel = "PATH", description = "A sharded activation store with labels.")
    String store;

    @Option(names = "--layers", paramLabel = "LIST", split = ",", description = "Layers to probe (default: every stored layer).")
    List<Integer> layers;

    @Option(names = "--train-fraction", defaultValue = "0.7", paramLabel = "F", description = "Training share of rows. (default: ${DEFAULT-VALUE})")
    double trainFraction;

    @Option(names = "--seed-data", defaultValue = "0", paramLabel = "S", description = "Seed of the row split. (default: ${DEFAULT-VALUE})")
    long seedData;

    @Option(names = "--max-iter", defaultValue = "200", paramLabel = "N", description = "L-BFGS iterations. (default: ${DEFAULT-VALUE})")
    int maxIter;

    @Option(names = "--reg", defaultValue = "1e-4", paramLabel = "L",
            description = "L2 regularisation of the linear probe (MLlib's regParam; a little keeps linearly separable sources, the usual case, well posed). (default: ${DEFAULT-VALUE})")
    double reg;

    @Option(names = "--mlp", description = "Also train the MLP identifier on a driver-side sample.")
    boolean mlp;

    @Option(names = "--driver-sample", defaultValue = "50000", paramLabel = "N", description = "Most rows the MLP sees. (default: ${DEFAULT-VALUE})")
    int driverSample;

    @Option(names = "--hidden", defaultValue = "256,128", paramLabel = "LIST", split = ",", description = "MLP hidden sizes. (default: ${DEFAULT-VALUE})")
    int[] hidden;

    @Option(names = "--epochs", defaultValue = "10", paramLabel = "N", description = "MLP epochs. (default: ${DEFAULT-VALUE})")
    int epochs;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "MLP initialisation and shuffling. (default: ${DEFAULT-VALUE})")
    long seed;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws IOException {
        long started = System.nanoTime();
        if (!(trainFraction > 0 && trainFraction < 1) || maxIter < 1 || !(reg >= 0) || driverSample < 2 || epochs < 1) {
            throw new InvalidInputException("--train-fraction must be in (0, 1), --max-iter, --epochs positive, --reg >= 0, --driver-sample >= 2");
        }
        SparkSession session = spark.session("probe");
        try {
            Configuration conf = session.sparkContext().hadoopConfiguration();
            SparkStore s = SparkStore.open(store, conf);
            if (!s.shapes.containsKey("labels")) {
                throw new InvalidInputException(store + ": has no labels (gather with a source column)");
            }
            List<String> names = tracelens.activations.ActivationFile.labelNames(s.manifest.metadata(), store);
            if (names.size() < 2) {
                throw new InvalidInputException(store + ": has " + names.size() + " label; a probe needs at least 2");
            }
            List<Integer> stored = s.layers();
            List<Integer> chosen = layers == null ? stored : layers;
            for (int l : chosen) {
                if (!stored.contains(l)) {
                    throw new InvalidInputException(store + ": layer " + l + " is not stored (stored: " + stored + ")");
                }
            }
            long n = s.manifest.rows();
            if (n > Integer.MAX_VALUE - 8) {
                throw new InvalidInputException(store + ": more rows than the split's permutation can index (" + n + ")");
            }
            int[] perm = Mt19937.legacyPermutation((int) n, seedData);
            int cut = (int) (trainFraction * n);
            boolean[] test = new boolean[(int) n];
            for (int i = cut; i < n; i++) {
                test[perm[i]] = true;
            }
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(session.sparkContext());
            Broadcast<boolean[]> testMask = sc.broadcast(test);
            List<Integer> indices = new ArrayList<>();
            for (int i = 0; i < s.shards(); i++) {
                indices.add(i);
            }
            long[] firstRow = s.firstRows();
            var progress = tracelens.cli.ProgressBar.of(spec.commandLine().getErr(), output);
            progress.start("linear probes (MLlib)", chosen.size());
            ArrayNode results = Results.MAPPER.createArrayNode();
            StructType schema = new StructType().add("label", DataTypes.DoubleType).add("features", SQLDataTypes.VectorType())
                    .add("test", DataTypes.BooleanType);
            try {
                for (int layer : chosen) {
                    JavaRDD<Row> rows = sc.parallelize(indices, indices.size()).flatMap(new ShardRows(s, "layer." + layer, firstRow, testMask));
                    Dataset<Row> df = session.createDataFrame(rows, schema).cache();
                    Dataset<Row> train = df.filter("NOT test");
                    Dataset<Row> held = df.filter("test");
                    LogisticRegressionModel model = new LogisticRegression().setFamily("multinomial").setMaxIter(maxIter)
                            .setRegParam(reg).setTol(1e-9).fit(train);
                    long heldRows = held.count();
                    long right = model.transform(held).filter("prediction = label").count();
                    ObjectNode r = results.addObject();
                    r.put("layer", layer).put("linear_accuracy", (double) right / heldRows).put("train_rows", n - heldRows)
                            .put("test_rows", heldRows).put("linear_iterations", model.summary().totalIterations());
                    df.unpersist();
                    progress.advance(1);
                }
            } catch (Exception e) { // a failed job (SparkException, undeclared by Scala)
                throw JobFailures.unwrap(e);
            } finally {
                progress.end();
            }
            if (mlp) {
                mlpOnSample(sc, s, chosen, names, test, firstRow, indices, results);
            }
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("train_fraction", String.valueOf(trainFraction));
            settings.put("seed_data", String.valueOf(seedData));
            settings.put("max_iter", String.valueOf(maxIter));
            settings.put("reg", String.valueOf(reg));
            settings.put("mlp", String.valueOf(mlp));
            if (mlp) {
                settings.put("driver_sample", String.valueOf(driverSample));
                settings.put("hidden", Arrays.toString(hidden));
                settings.put("epochs", String.valueOf(epochs));
            }
            ObjectNode root = Results.result("spark probe", Provenance.now("spark probe", new Provenance.ModelRef(s.manifest.model(), null),
                    List.of(new Provenance.FileRef(store, null)), settings, mlp ? seed : null));
            root.put("store", store).put("rows", n).put("chance", 1.0 / names.size()).put("seconds", (System.nanoTime() - started) / 1e9);
            root.set("layers", results);
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                out.println(Results.write(root));
            } else {
                out.println("layer  linear  " + (mlp ? "MLP    MLP rows  " : "") + "train rows  test rows");
                for (var r : results) {
                    out.printf(Locale.ROOT, "%5d  %.3f  %s%10d %10d%n", r.get("layer").asInt(), r.get("linear_accuracy").asDouble(),
                            mlp ? String.format(Locale.ROOT, "%.3f  %8d  ", r.get("mlp_accuracy").asDouble(), r.get("mlp_rows").asInt()) : "",
                            r.get("train_rows").asLong(), r.get("test_rows").asLong());
                }
            }
            out.flush();
        } finally {
            session.stop();
        }
        return 0;
    }

    /**
     * The MLP identifiers of 'sip train' on at most --driver-sample rows, drawn by a seeded permutation (seed-data + 1)
     * and kept on the same side of the split: collected to the driver, written as a temporary SIP cache, trained there.
     */
    private void mlpOnSample(JavaSparkContext sc, SparkStore s, List<Integer> chosen, List<String> names, boolean[] test, long[] firstRow,
            List<Integer> indices, ArrayNode results) throws IOException {
        int n = test.length;
        int keep = Math.min(n, driverSample);
        int[] draw = Mt19937.legacyPermutation(n, seedData + 1);
        int[] rows = Arrays.copyOf(draw, keep);
        Arrays.sort(rows); // store order
        Broadcast<int[]> picked = sc.broadcast(rows);
        List<String> tensors = new ArrayList<>();
        chosen.forEach(l -> tensors.add("layer." + l));
        List<ShardSample.Rows> parts = sc.parallelize(indices, indices.size()).map(new ShardSample(s, tensors, firstRow, picked)).collect();
        java.nio.file.Path cache = Files.createTempDirectory("tracelens-probe-");
        try {
            List<SafeTensorsWriter.Spec> specs = new ArrayList<>();
            for (String t : tensors) {
                specs.add(new SafeTensorsWriter.Spec(t, DType.F32, new long[] {keep, s.shapes.get(t)[1]}));
            }
            specs.add(new SafeTensorsWriter.Spec("labels", DType.I64, new long[] {keep}));
            Map<String, String> meta = new LinkedHashMap<>(s.manifest.metadata());
            meta.remove("provenance");
            meta.put("num_texts", String.valueOf(keep));
            try (SafeTensorsWriter w = SafeTensorsWriter.create(cache.resolve(tracelens.sip.SipGather.ACTIVATIONS), specs, meta);
                 var samples = Files.newBufferedWriter(cache.resolve(tracelens.sip.SipGather.SAMPLES))) {
                long at = 0;
                for (ShardSample.Rows p : parts) {
                    for (int t = 0; t < tensors.size(); t++) {
                        w.writeFloats(tensors.get(t), at * s.shapes.get(tensors.get(t))[1], p.values().get(t));
                    }
                    w.writeLongs("labels", at, p.labels());
                    for (int i = 0; i < p.labels().length; i++) {
                        samples.write(Results.COMPACT.writeValueAsString(Results.COMPACT.createObjectNode().put("text", "")
                                .put("source", names.get((int) p.labels()[i])).put("split", test[(int) p.rows()[i]] ? "test" : "train")) + "\n");
                    }
                    at += p.labels().length;
                }
                w.commit();
            }
            SipTrain.Options o = new SipTrain.Options(chosen.stream().mapToInt(Integer::intValue).toArray(), SipTrain.Input.SENTENCE, false, true,
                    hidden, true, tracelens.sip.IdentifierTrainer.Loss.BCE, epochs, 64, 1e-3, 20, SipTrain.SplitMode.DOCUMENT, trainFraction,
                    seedData, seed, false);
            SipTrain.Result r = SipTrain.train(cache, o, tracelens.cli.ProgressBar.of(spec.commandLine().getErr(), output));
            for (int i = 0; i < chosen.size(); i++) {
                ((ObjectNode) results.get(i)).put("mlp_accuracy", r.layers().get(i).mlpAccuracy()).put("mlp_rows", keep)
                        .put("mlp_test_rows", r.layers().get(i).testRows());
            }
        } finally {
            tracelens.io.AtomicFolder.deleteTree(cache);
        }
    }

    /** On an executor: a shard's rows of one layer as (label, features, held out?). */
    static final class ShardRows implements org.apache.spark.api.java.function.FlatMapFunction<Integer, Row> {
        private static final long serialVersionUID = 1L;
        private final SparkStore store;
        private final String tensor;
        private final long[] firstRow;
        private final Broadcast<boolean[]> test;

        ShardRows(SparkStore store, String tensor, long[] firstRow, Broadcast<boolean[]> test) {
            this.store = store;
            this.tensor = tensor;
            this.firstRow = firstRow;
            this.test = test;
        }

        @Override
        public java.util.Iterator<Row> call(Integer index) {
            return store.withShard(index, new Configuration(), st -> {
                float[] x = st.floats(tensor);
                long[] labels = st.longs("labels");
                int c = (int) st.info(tensor).shape()[1];
                boolean[] held = test.value();
                List<Row> out = new ArrayList<>(labels.length);
                for (int i = 0; i < labels.length; i++) {
                    double[] v = new double[c];
                    for (int j = 0; j < c; j++) {
                        v[j] = x[i * c + j];
                    }
                    out.add(RowFactory.create((double) labels[i], Vectors.dense(v), held[(int) (firstRow[index] + i)]));
                }
                return out.iterator();
            });
        }
    }

    /** On an executor: the sampled rows of a shard, every chosen layer. */
    static final class ShardSample implements org.apache.spark.api.java.function.Function<Integer, ShardSample.Rows> {
        private static final long serialVersionUID = 1L;

        record Rows(long[] rows, long[] labels, List<float[]> values) implements java.io.Serializable {}

        private final SparkStore store;
        private final List<String> tensors;
        private final long[] firstRow;
        private final Broadcast<int[]> picked;

        ShardSample(SparkStore store, List<String> tensors, long[] firstRow, Broadcast<int[]> picked) {
            this.store = store;
            this.tensors = new ArrayList<>(tensors);
            this.firstRow = firstRow;
            this.picked = picked;
        }

        @Override
        public Rows call(Integer index) {
            long from = firstRow[index];
            long to = from + store.manifest.shards().get(index).rows();
            int[] all = picked.value();
            int lo = lowerBound(all, from);
            int hi = lowerBound(all, to);
            if (lo == hi) {
                return new Rows(new long[0], new long[0], tensors.stream().map(t -> new float[0]).toList());
            }
            return store.withShard(index, new Configuration(), st -> {
                long[] rows = new long[hi - lo];
                long[] labels = new long[hi - lo];
                long[] stored = st.longs("labels");
                for (int i = lo; i < hi; i++) {
                    rows[i - lo] = all[i];
                    labels[i - lo] = stored[(int) (all[i] - from)];
                }
                List<float[]> values = new ArrayList<>();
                for (String t : tensors) {
                    float[] x = st.floats(t);
                    int c = (int) st.info(t).shape()[1];
                    float[] keep = new float[(hi - lo) * c];
                    for (int i = lo; i < hi; i++) {
                        System.arraycopy(x, (int) (all[i] - from) * c, keep, (i - lo) * c, c);
                    }
                    values.add(keep);
                }
                return new Rows(rows, labels, values);
            });
        }

        private static int lowerBound(int[] a, long v) {
            int lo = 0;
            int hi = a.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (a[mid] < v) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }
}
