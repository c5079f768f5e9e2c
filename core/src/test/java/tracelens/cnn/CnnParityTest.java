package tracelens.cnn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import tracelens.error.InvalidInputException;
import tracelens.model.SafeTensors;
import tracelens.nn.Hooks;
import tracelens.runtime.DjlRuntime;

/**
 * Our CNNs against torchvision (fixtures from src/test/resources/fixtures/cnn/make_cnn_fixtures.py, narrow variants with
 * seeded random weights and batch-norm statistics): logits, the input gradient of the target logits, and the
 * convolutions in torchvision's module order.
 */
class CnnParityTest {
    static Path fixture(String name) {
        return Path.of("src/test/resources/fixtures/cnn", name);
    }

    @ParameterizedTest
    @EnumSource(Cnn.Arch.class)
    void logitsAndInputGradientsMatchTorchvision(Cnn.Arch arch) throws Exception {
        try (Cnn cnn = CnnLoader.load(fixture(arch.id + ".safetensors"), arch); SafeTensors io = SafeTensors.open(fixture(arch.id + "-io.safetensors"));
             NDManager m = DjlRuntime.manager()) {
            List<String> convs = List.of(new ObjectMapper().readValue(io.metadata().get("convs"), String[].class));
            assertThat(cnn.convolutions()).containsExactlyElementsOf(convs);
            float[] in = io.floats("input");
            NDArray x = m.create(in, new Shape(io.info("input").shape()));
            x.setRequiresGradient(true);
            float[] target = io.floats("target");
            float[] logits;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray z = cnn.forward(x, Hooks.none(m));
                logits = z.toFloatArray();
                int k = (int) z.getShape().get(1);
                float[] onehot = new float[logits.length];
                for (int b = 0; b < target.length; b++) {
                    onehot[b * k + (int) target[b]] = 1;
                }
                gc.backward(z.mul(m.create(onehot, z.getShape())).sum());
            }
            float[] want = io.floats("logits");
            for (int i = 0; i < want.length; i++) {
                assertThat((double) logits[i]).as("%s logit %d", arch, i).isCloseTo(want[i], within(1e-4 + 1e-4 * Math.abs(want[i])));
            }
            float[] grad = x.getGradient().toFloatArray();
            float[] wantGrad = io.floats("input_grad");
            double scale = 0;
            for (float g : wantGrad) {
                scale = Math.max(scale, Math.abs(g));
            }
            for (int i = 0; i < wantGrad.length; i++) {
                assertThat((double) grad[i]).as("%s input gradient %d", arch, i).isCloseTo(wantGrad[i], within(1e-4 * scale));
            }
            assertThat(scale).isGreaterThan(0);
        }
    }

    /** The same weights saved under timm's names (and VGG's classifier as convolutions) give the same logits. */
    @ParameterizedTest
    @EnumSource(value = Cnn.Arch.class, names = {"VGG16_BN", "EFFICIENTNET_B0"})
    void timmsLayoutLoadsToTheSameNetwork(Cnn.Arch arch) {
        try (Cnn tv = CnnLoader.load(fixture(arch.id + ".safetensors"), arch);
             Cnn timm = CnnLoader.load(fixture(arch.id + "-timm.safetensors"), arch);
             SafeTensors io = SafeTensors.open(fixture(arch.id + "-io.safetensors")); NDManager m = DjlRuntime.manager()) {
            NDArray x = m.create(io.floats("input"), new Shape(io.info("input").shape()));
            assertThat(timm.forward(x, Hooks.none(m)).toFloatArray()).containsExactly(tv.forward(x, Hooks.none(m)).toFloatArray());
            assertThat(timm.convolutions()).isEqualTo(tv.convolutions());
        }
    }

    @Test
    void weightsOfAnotherArchitectureAreRefusedNamingTheTensor() {
        assertThatThrownBy(() -> CnnLoader.load(fixture("resnet18.safetensors"), Cnn.Arch.VGG16_BN))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("tensor 'features.0.weight' is missing");
        assertThatThrownBy(() -> CnnLoader.load(fixture("vgg16_bn.safetensors"), Cnn.Arch.EFFICIENTNET_B0))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("'features.0.0.weight'");
    }
}
