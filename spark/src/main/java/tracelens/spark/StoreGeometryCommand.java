package tracelens.spark;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.cli.GeometryCommand;
import tracelens.cli.OutputOptions;
import tracelens.error.InvalidInputException;
import tracelens.geometry.IsoScore;
import tracelens.geometry.Moments;
import tracelens.geometry.VarEx;
import tracelens.provenance.Provenance;
import tracelens.results.Results;

@Command(name = "geometry", mixinStandardHelpOptions = true, sortOptions = false,
        header = "IsoScore, IsoScore*, cosine measures and VarEx of a sharded store, by a tree aggregation of partial sums.",
        description = {"Each task reads one shard and sums, per layer and in double precision, the row count, mean, centred",
            "cross-products, unit-row sum and zero rows; the partial sums are merged pairwise in a tree (Chan's update), so",
            "the covariance and every measure built on it equal 'tracelens geometry' on the same rows (within 1e-9).",
            "TwoNN, MLE and the partition score need all pairs of points and are not computed here (null, with a note):",
            "run 'tracelens geometry' on a sample for them."},
        footer = {"", "Example:", "  tracelens-spark geometry --master local[2] --store store/ --json"})
public final class StoreGeometryCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    SparkOptions spark;

    @Option(names = "--store", required = true, paramLabel = "PATH", description = "A sharded activation store (any Hadoop filesystem).")
    String store;

    @Option(names = "--zeta", defaultValue = "0.75", paramLabel = "Z", description = "IsoScore* shrinkage towards C0, in [0, 1]. (default: ${DEFAULT-VALUE})")
    double zeta;

    @Option(names = "--c0", defaultValue = "identity", paramLabel = "identity|layers",
            description = "C0: the identity, or the covariance of every stored layer but the embeddings, stacked (as I-STAR builds it). (default: ${DEFAULT-VALUE})")
    String c0Spec;

    @Option(names = "--depth", defaultValue = "2", paramLabel = "D", description = "Depth of the aggregation tree. (default: ${DEFAULT-VALUE})")
    int depth;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        long started = System.nanoTime();
        if (!(zeta >= 0 && zeta <= 1)) {
            throw new InvalidInputException("--zeta must be in [0, 1], found " + zeta);
        }
        if (!c0Spec.equals("identity") && !c0Spec.equals("layers")) {
            throw new InvalidInputException("--c0 must be identity or layers, found '" + c0Spec + "'");
        }
        if (depth < 1) {
            throw new InvalidInputException("--depth must be at least 1, found " + depth);
        }
        SparkSession session = spark.session("geometry");
        try {
            Configuration conf = session.sparkContext().hadoopConfiguration();
            SparkStore s = SparkStore.open(store, conf);
            List<String> tensors = new ArrayList<>();
            for (int l : s.layers()) {
                tensors.add("layer." + l);
            }
            if (tensors.isEmpty()) {
                throw new InvalidInputException(store + ": holds no layer.<i> tensors");
            }
            List<Integer> indices = new ArrayList<>();
            for (int i = 0; i < s.shards(); i++) {
                indices.add(i);
            }
            JavaSparkContext sc = JavaSparkContext.fromSparkContext(session.sparkContext());
            var progress = tracelens.cli.ProgressBar.of(spec.commandLine().getErr(), output);
            progress.start("summing " + s.shards() + " shards", s.shards());
            TaskProgress.attach(session, progress);
            HashMap<String, Moments> total;
            try {
                total = sc.parallelize(indices, indices.size()).map(new ShardMoments(s, tensors))
                        .treeAggregate(new HashMap<String, Moments>(), StoreGeometryCommand::merge, StoreGeometryCommand::merge, depth);
            } catch (Exception e) { // a failed job (SparkException, undeclared by Scala)
                throw JobFailures.unwrap(e);
            } finally {
                TaskProgress.detach(session);
                progress.end();
            }
            double[][] c0 = null;
            if (c0Spec.equals("layers")) {
                Moments stacked = null;
                for (String t : tensors) {
                    if (!t.equals("layer.0")) {
                        stacked = stacked == null ? copy(total.get(t)) : stacked.merge(total.get(t));
                    }
                }
                if (stacked == null || stacked.count() < 2) {
                    throw new InvalidInputException("--c0 layers needs layers beyond layer.0 in the store");
                }
                c0 = stacked.covariance();
            }
            ArrayNode results = Results.MAPPER.createArrayNode();
            for (String t : tensors) {
                Moments m = total.get(t);
                int n = m.dims();
                double[][] c0n = c0 != null ? c0 : IsoScore.identity(n);
                ObjectNode r = results.addObject();
                r.put("tensor", t).put("points", m.count()).put("dimensions", n);
                List<String> notes = new ArrayList<>();
                double[][][] cov = new double[1][][];
                Supplier<double[][]> covariance = () -> cov[0] != null ? cov[0] : (cov[0] = needTwo(m));
                GeometryCommand.measure(r, notes, "isoscore", () -> IsoScore.ofCovariance(covariance.get()));
                GeometryCommand.measure(r, notes, "isoscore_star", () -> IsoScore.starOfCovariance(covariance.get(), c0n, zeta));
                GeometryCommand.measure(r, notes, "cosreg", m::cosReg);
                GeometryCommand.measure(r, notes, "mean_cosine", m::meanCosine);
                r.putNull("twonn");
                r.putNull("mle");
                GeometryCommand.measure(r, notes, "varex", () -> VarEx.ofCovariance(covariance.get()));
                r.putNull("partition_score");
                notes.add("twonn, mle, partition_score: not computed on Spark (they need all pairs of points); run 'tracelens geometry' on a sample");
                r.put("zeta", zeta);
                ArrayNode nn = r.putArray("notes");
                notes.forEach(nn::add);
            }
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("zeta", String.valueOf(zeta));
            settings.put("c0", c0Spec);
            settings.put("shards", String.valueOf(s.shards()));
            settings.put("master", session.sparkContext().master());
            Provenance p = Provenance.now("spark geometry", new Provenance.ModelRef(s.manifest.model(), null),
                    List.of(new Provenance.FileRef(store, null)), settings, null);
            ObjectNode root = Results.result("spark geometry", p);
            root.put("input", store);
            root.put("seconds", (System.nanoTime() - started) / 1e9);
            root.set("results", results);
            PrintWriter out = spec.commandLine().getOut();
            if (output.json()) {
                out.println(Results.write(root));
            } else {
                out.println("tensor        points  dims  IsoScore  IsoScore*  CosReg   mean cos  VarEx");
                for (var r : results) {
                    out.printf(Locale.ROOT, "%-12s %7d %5d  %s  %s   %s  %s  %s%n", r.get("tensor").asText(), r.get("points").asLong(),
                            r.get("dimensions").asInt(), GeometryCommand.f(r, "isoscore"), GeometryCommand.f(r, "isoscore_star"), GeometryCommand.f(r, "cosreg"), GeometryCommand.f(r, "mean_cosine"), GeometryCommand.f(r, "varex"));
                }
            }
            out.flush();
        } finally {
            session.stop();
        }
        return 0;
    }

    private static double[][] needTwo(Moments m) {
        if (m.dims() < 2) {
            throw new InvalidInputException("needs at least 2 dimensions, found " + m.dims());
        }
        return m.covariance();
    }

    private static Moments copy(Moments m) {
        return new Moments(m.dims()).merge(m);
    }

    /** Merges b into a (per tensor), the tree aggregation's one operation. */
    static HashMap<String, Moments> merge(HashMap<String, Moments> a, HashMap<String, Moments> b) {
        for (var e : b.entrySet()) {
            a.merge(e.getKey(), e.getValue(), Moments::merge);
        }
        return a;
    }

    /** On an executor: one shard's moments, per tensor, read in blocks of 4,096 rows. */
    static final class ShardMoments implements org.apache.spark.api.java.function.Function<Integer, HashMap<String, Moments>> {
        private static final long serialVersionUID = 1L;
        private final SparkStore store;
        private final List<String> tensors;

        ShardMoments(SparkStore store, List<String> tensors) {
            this.store = store;
            this.tensors = new ArrayList<>(tensors);
        }

        @Override
        public HashMap<String, Moments> call(Integer index) {
            return store.withShard(index, new Configuration(), st -> {
                HashMap<String, Moments> out = new HashMap<>();
                try (var manager = tracelens.runtime.DjlRuntime.manager()) {
                    for (String t : tensors) {
                        long[] shape = st.info(t).shape();
                        Moments m = new Moments((int) shape[1]);
                        for (long from = 0; from < shape[0]; from += 4096) {
                            int b = (int) Math.min(4096, shape[0] - from);
                            try (var scope = manager.newSubManager()) {
                                m.addRows(st.rowsArray(scope, t, from, b), store.dir + " shard " + index + ", " + t);
                            }
                        }
                        out.put(t, m);
                    }
                }
                return out;
            });
        }
    }
}
