package tracelens.cnn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
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
        return TorchvisionGradients.fixture(name);
    }

    @ParameterizedTest
    @EnumSource(Cnn.Arch.class)
    void logitsAndInputGradientsMatchTorchvision(Cnn.Arch arch) throws Exception {
        TorchvisionGradients g = TorchvisionGradients.of(arch);
        assertThat(g.convolutions()).containsExactlyElementsOf(g.wantConvolutions());
        for (int i = 0; i < g.wantLogits().length; i++) {
            double want = g.wantLogits()[i];
            assertThat((double) g.logits()[i]).as("%s logit %d", arch, i).isCloseTo(want, within(1e-4 + 1e-4 * Math.abs(want)));
        }
        double scale = g.gradientScale();
        for (int i = 0; i < g.wantInputGradient().length; i++) {
            assertThat((double) g.inputGradient()[i]).as("%s input gradient %d", arch, i)
                    .isCloseTo(g.wantInputGradient()[i], within(TorchvisionGradients.GRADIENT_TOLERANCE * scale));
        }
        assertThat(scale).isGreaterThan(0);
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
