package tracelens.sip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tracelens.model.SafeTensors;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;
import tracelens.train.Optimizer;

/**
 * {@code --protocol original} against a PyTorch transcription of the SIP code's training loop
 * (fixtures/sip/make_original_protocol.py): the same initial weights and batch order, then the mean loss of every epoch
 * to 1e-4 and the final weights to 1e-4, for Adam, SGD and RMSprop, ReLU, tanh and GELU, one and three warm-up steps,
 * and a configuration where every step is clipped.
 */
class OriginalProtocolTest {
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/sip/original_protocol.safetensors");

    @Test
    void everyEpochsLossAndTheFinalWeightsMatchThePyTorchTranscription() throws Exception {
        try (SafeTensors st = SafeTensors.open(FIXTURE); NDManager m = DjlRuntime.manager()) {
            JsonNode configs = new ObjectMapper().readTree(st.metadata().get("configs"));
            float[] x0 = st.floats("x");
            long[] y = st.longs("y");
            int n = y.length;
            int d = x0.length / n;
            int k = 5;
            int[][] sets = new int[n][];
            int[] rows = new int[n];
            for (int i = 0; i < n; i++) {
                sets[i] = new int[] {(int) y[i]};
                rows[i] = i;
            }
            for (var it = configs.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                String name = e.getKey();
                JsonNode c = e.getValue();
                float[][] x = new float[n][d];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < d; j++) {
                        x[i][j] = (float) (x0[i * d + j] * c.get("scale").asDouble());
                    }
                }
                int[] hidden = new ObjectMapper().convertValue(c.get("hidden"), int[].class);
                IdentifierTrainer.Options o = new IdentifierTrainer.Options(hidden, c.get("epochs").asInt(), 64, c.get("lr").asDouble(), 5.0,
                        20, c.get("seed").asLong()).with(IdentifierTrainer.Protocol.ORIGINAL, Optimizer.Kind.parse(c.get("optimizer").asText()),
                        Identifier.Act.parse(c.get("act").asText()), c.get("warmup").asInt());
                Identifier net = new Identifier(m, d, hidden, k, 0, false, o.activation());
                for (Map.Entry<String, NDArray> p : net.parameters().asMap().entrySet()) {
                    p.getValue().set(st.floats(name + ".init." + p.getKey()));
                }
                try (IdentifierTrainer.Fitted f = IdentifierTrainer.fit(m, net, Features.of(m, x), sets, rows, new int[0],
                        new Random(c.get("seed").asLong()), k, o, Progress.NONE)) {
                    double[] want = new ObjectMapper().convertValue(c.get("losses"), double[].class);
                    assertThat(f.epochsRun()).as(name + ": the whole budget, no early stop").isEqualTo(want.length);
                    for (int epoch = 0; epoch < want.length; epoch++) {
                        assertThat(f.trainLoss()[epoch]).as(name + " epoch " + (epoch + 1)).isCloseTo(want[epoch], within(1e-4));
                    }
                    for (Map.Entry<String, NDArray> p : f.net().parameters().asMap().entrySet()) {
                        float[] got = p.getValue().toFloatArray();
                        float[] ref = st.floats(name + ".final." + p.getKey());
                        for (int i = 0; i < ref.length; i++) {
                            assertThat((double) got[i]).as(name + " final " + p.getKey() + "[" + i + "]").isCloseTo(ref[i], within(1e-4));
                        }
                    }
                }
            }
            assertThat(configs.get("mlp_adam_gelu_clipped").get("clipped_steps").asInt()).as("the clipping path is exercised").isPositive();
        }
    }
}
