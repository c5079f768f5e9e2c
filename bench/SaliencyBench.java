import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import tracelens.cnn.Cnn;
import tracelens.cnn.CnnLoader;
import tracelens.cnn.CnnInit;
import tracelens.runtime.DjlRuntime;
import tracelens.saliency.ChannelGradient;
import tracelens.saliency.HookSelection;
import tracelens.saliency.Saliency;

/**
 * Gradient saliency of one 224 x 224 image through a full-width ResNet-18 (random weights, 1000 classes): plain, and
 * with ParchGrad at the default 8 convolutions (a fixed random half of the channels selected). Median of 5 after a
 * warm-up. Args: threads
 */
public class SaliencyBench {
    public static void main(String[] args) throws Exception {
        System.setProperty("ai.djl.pytorch.num_threads", args[0]);
        Path w = Files.createTempFile("resnet18", ".safetensors");
        CnnInit.resnet18(w, 64, 1000, 0);
        try (Cnn cnn = CnnLoader.load(w, Cnn.Arch.RESNET18); var m = DjlRuntime.manager()) {
            Random r = new Random(1);
            float[] img = new float[3 * 224 * 224];
            for (int i = 0; i < img.length; i++) {
                img[i] = (float) r.nextGaussian();
            }
            NDArray x = m.create(img, new Shape(1, 3, 224, 224));
            List<String> hooked = HookSelection.defaults(cnn);
            Saliency.ParchGrad pg = Saliency.ParchGrad.same(hooked, (a, y) -> {
                long c = a.getShape().get(1);
                float[] mask = new float[(int) c];
                for (int i = 0; i < c; i += 2) {
                    mask[i] = 1;
                }
                return a.getManager().create(mask, new Shape(1, c));
            }, ChannelGradient.Options.defaults());
            for (String mode : new String[] {"plain", "parchgrad"}) {
                Saliency.maps(m, cnn, x, new int[] {3}, Saliency.Method.GRAD, mode.equals("plain") ? null : pg, r); // warm-up
                double[] t = new double[5];
                for (int k = 0; k < t.length; k++) {
                    long t0 = System.nanoTime();
                    Saliency.maps(m, cnn, x, new int[] {3}, Saliency.Method.GRAD, mode.equals("plain") ? null : pg, r);
                    t[k] = (System.nanoTime() - t0) / 1e9;
                }
                Arrays.sort(t);
                System.out.printf("tracelens %-9s: %.3f s per map (median of 5; min %.3f, max %.3f), threads %s%n", mode, t[2], t[0], t[4], args[0]);
            }
        } finally {
            Files.deleteIfExists(w);
        }
    }
}
