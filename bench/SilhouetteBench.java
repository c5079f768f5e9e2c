import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import tracelens.sip.Silhouette;

/** Silhouette of the points bench/silhouette_sklearn.py wrote, against its scikit-learn score and time. Args: dir */
public class SilhouetteBench {
    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        JsonNode ref = new ObjectMapper().readTree(dir.resolve("sklearn.json").toFile());
        int n = ref.get("n").asInt(), d = ref.get("d").asInt();
        ByteBuffer xb = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("x.f32"))).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer lb = ByteBuffer.wrap(Files.readAllBytes(dir.resolve("labels.i32"))).order(ByteOrder.LITTLE_ENDIAN);
        float[][] x = new float[n][d];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            xb.asFloatBuffer().position(i * d).get(x[i]);
            labels[i] = lb.getInt(i * 4);
        }
        for (String metric : new String[] {"euclidean", "cosine"}) {
            Silhouette.Distance dist = metric.equals("euclidean") ? Silhouette.Distance.EUCLIDEAN : Silhouette.Distance.COSINE;
            Silhouette.score(x, labels, dist); // warm-up
            double[] times = new double[3];
            double score = 0;
            for (int r = 0; r < 3; r++) {
                long t0 = System.nanoTime();
                score = Silhouette.score(x, labels, dist);
                times[r] = (System.nanoTime() - t0) / 1e9;
            }
            Arrays.sort(times);
            double sk = ref.get(metric).get("score").asDouble();
            double skTime = ref.get(metric).get("seconds").asDouble();
            double exact = ref.get(metric).get("score_float64").asDouble();
            System.out.printf("%s %dx%d, %d labels: tracelens %.10f in %.3f s, scikit-learn %s %.10f in %.3f s; "
                    + "|diff| to scikit-learn's float64 score: tracelens %.1e, scikit-learn (float32) %.1e; speed %.1fx%n",
                    metric, n, d, ref.get("k").asInt(), score, times[1], ref.get("sklearn").asText(), sk, skTime,
                    Math.abs(score - exact), Math.abs(sk - exact), skTime / times[1]);
        }
    }
}
