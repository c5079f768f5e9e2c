package tracelens.cnn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import tracelens.model.SafeTensors;
import tracelens.nn.Hooks;
import tracelens.runtime.DjlRuntime;

/**
 * One architecture's torchvision fixture (src/test/resources/fixtures/cnn/make_cnn_fixtures.py) run through our CNN:
 * logits and the input gradient of the target logits, beside torchvision's. Shared by CnnParityTest and
 * {@link InputGradientProbe}, which runs it in a child JVM under a changed processor environment.
 */
record TorchvisionGradients(List<String> convolutions, List<String> wantConvolutions, float[] logits, float[] wantLogits,
        float[] inputGradient, float[] wantInputGradient) {
    /** The input gradient may differ from torchvision's by this fraction of its largest magnitude. */
    static final double GRADIENT_TOLERANCE = 1e-4;

    static Path fixture(String name) {
        return Path.of("src/test/resources/fixtures/cnn", name);
    }

    static TorchvisionGradients of(Cnn.Arch arch) throws Exception {
        try (Cnn cnn = CnnLoader.load(fixture(arch.id + ".safetensors"), arch); SafeTensors io = SafeTensors.open(fixture(arch.id + "-io.safetensors"));
             NDManager m = DjlRuntime.manager()) {
            List<String> convs = List.of(new ObjectMapper().readValue(io.metadata().get("convs"), String[].class));
            NDArray x = m.create(io.floats("input"), new Shape(io.info("input").shape()));
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
            return new TorchvisionGradients(cnn.convolutions(), convs, logits, io.floats("logits"), x.getGradient().toFloatArray(),
                    io.floats("input_grad"));
        }
    }

    /** The largest magnitude of torchvision's input gradient: the scale of the gradient tolerance. */
    double gradientScale() {
        double scale = 0;
        for (float g : wantInputGradient) {
            scale = Math.max(scale, Math.abs(g));
        }
        return scale;
    }

    /** How many input-gradient elements are off by more than the tolerance (a non-finite one always is). */
    int gradientElementsOff() {
        double tol = GRADIENT_TOLERANCE * gradientScale();
        int off = 0;
        for (int i = 0; i < wantInputGradient.length; i++) {
            double e = Math.abs((double) inputGradient[i] - wantInputGradient[i]);
            off += !(e <= tol) ? 1 : 0;
        }
        return off;
    }
}
