import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import tracelens.geometry.CloudSummary;
import tracelens.geometry.IntrinsicDimension;
import tracelens.geometry.IsoScore;
import tracelens.runtime.DjlRuntime;

/**
 * IsoScore/IsoScore* of 100,000 x 768 points (streamed covariance) and TwoNN of 20,000 x 384 points against the
 * NumPy / scikit-learn times bench/geometry_numpy.py recorded on the same points. Args: dir
 */
public class GeometryBench {
    interface Run {
        double run() throws Exception;
    }

    static double[] timed(Run r) throws Exception {
        r.run(); // warm-up
        double[] t = new double[3];
        double v = 0;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            v = r.run();
            t[i] = (System.nanoTime() - t0) / 1e9;
        }
        Arrays.sort(t);
        return new double[] {v, t[1]};
    }

    static FloatBuffer load(Path f) throws Exception {
        return ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("numpy.json").toFile());
        int m = ref.get("iso").get(0).asInt(), n = ref.get("iso").get(1).asInt();
        // the points mapped from the file, as the product reads an activation file (SafeTensors.rowsArray): one copy
        // per block into the engine (NumPy's array is in memory too; the file was just written, so it is cached)
        ByteBuffer xm;
        try (FileChannel ch = FileChannel.open(dir.resolve("iso.f32"), StandardOpenOption.READ)) {
            xm = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
        }
        CloudSummary.Rows rows = new CloudSummary.Rows() {
            public long count() { return m; }
            public int dims() { return n; }
            public ai.djl.ndarray.NDArray block(NDManager m, long from, int count) {
                return m.create(xm.duplicate().position((int) from * n * 4).limit((int) (from + count) * n * 4).slice()
                        .order(ByteOrder.LITTLE_ENDIAN), new ai.djl.ndarray.types.Shape(count, n), ai.djl.ndarray.types.DataType.FLOAT32);
            }
        };
        double[][] identity = IsoScore.identity(n);
        double[] star = new double[1];
        double[] iso;
        try (NDManager manager = DjlRuntime.manager()) {
            iso = timed(() -> {
                CloudSummary s = CloudSummary.of(rows, 0, 0, manager);
                star[0] = s.isoScoreStar(identity, 0.2);
                return s.isoScore();
            });
        }
        double npIso = ref.get("isoscore_seconds").asDouble();
        System.out.printf("IsoScore + IsoScore* %dx%d: tracelens %.12f / %.12f in %.3f s, NumPy %s %.12f / %.12f in %.3f s;"
                + " |diff| %.1e / %.1e; speed %.2fx%n", m, n, iso[0], star[0], iso[1], ref.get("numpy").asText(),
                ref.get("isoscore").asDouble(), ref.get("isoscore_star").asDouble(), npIso,
                Math.abs(iso[0] - ref.get("isoscore").asDouble()), Math.abs(star[0] - ref.get("isoscore_star").asDouble()), npIso / iso[1]);
        int m2 = ref.get("id").get(0).asInt(), n2 = ref.get("id").get(1).asInt();
        FloatBuffer yb = load(dir.resolve("id.f32"));
        double[][] y = new double[m2][n2];
        for (int i = 0; i < m2; i++) {
            for (int j = 0; j < n2; j++) {
                y[i][j] = yb.get(i * n2 + j);
            }
        }
        double[] tw = timed(() -> IntrinsicDimension.twoNn(y, IntrinsicDimension.TwoNnVariant.FIXED));
        double skTime = ref.get("twonn_seconds").asDouble();
        System.out.printf("TwoNN %dx%d: tracelens %.10f in %.3f s, scikit-learn %s NearestNeighbors %.10f in %.3f s; |diff| %.1e;"
                + " speed %.2fx%n", m2, n2, tw[0], tw[1], ref.get("sklearn").asText(), ref.get("twonn").asDouble(), skTime,
                Math.abs(tw[0] - ref.get("twonn").asDouble()), skTime / tw[1]);
    }
}
