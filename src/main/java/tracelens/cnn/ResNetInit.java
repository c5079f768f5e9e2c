package tracelens.cnn;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import tracelens.model.SafeTensorsWriter;

/**
 * A freshly initialised ResNet-18 state dict as torchvision initialises one with {@code zero_init_residual=True}
 * convolutions Kaiming-normal (fan out, ReLU gain), batch-norm weight 1 and bias 0 except the last of each residual
 * branch (weight 0, so every block starts as the identity), running mean 0 and variance 1, fc PyTorch's default
 * U(-1/sqrt(in), 1/sqrt(in)). Stage widths w, 2w, 4w, 8w (torchvision: w = 64). Drawn from a seeded generator.
 */
public final class ResNetInit {
    private ResNetInit() {}

    public static void write(Path file, int width, int classes, long seed) {
        Random r = new Random(seed);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        conv(shapes, values, "conv1", width, 3, 7, r);
        bn(shapes, values, "bn1", width, 1);
        int in = width;
        for (int stage = 1; stage <= 4; stage++) {
            int out = width << (stage - 1);
            for (int block = 0; block < 2; block++) {
                String p = "layer" + stage + "." + block + ".";
                int stride = stage > 1 && block == 0 ? 2 : 1;
                conv(shapes, values, p + "conv1", out, in, 3, r);
                bn(shapes, values, p + "bn1", out, 1);
                conv(shapes, values, p + "conv2", out, out, 3, r);
                bn(shapes, values, p + "bn2", out, 0);
                if (stride != 1 || in != out) {
                    conv(shapes, values, p + "downsample.0", out, in, 1, r);
                    bn(shapes, values, p + "downsample.1", out, 1);
                }
                in = out;
            }
        }
        float[] w = new float[classes * in];
        float[] b = new float[classes];
        double bound = 1 / Math.sqrt(in);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((2 * r.nextDouble() - 1) * bound);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) ((2 * r.nextDouble() - 1) * bound);
        }
        shapes.put("fc.weight", new long[] {classes, in});
        values.put("fc.weight", w);
        shapes.put("fc.bias", new long[] {classes});
        values.put("fc.bias", b);
        SafeTensorsWriter.writeAll(file, shapes, values, Map.of("init", "torchvision resnet18, zero_init_residual, seed " + seed));
    }

    private static void conv(Map<String, long[]> shapes, Map<String, float[]> values, String name, int out, int in, int k, Random r) {
        float[] w = new float[out * in * k * k];
        double std = Math.sqrt(2.0 / (out * k * k)); // kaiming_normal_, mode fan_out, relu
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * std);
        }
        shapes.put(name + ".weight", new long[] {out, in, k, k});
        values.put(name + ".weight", w);
    }

    private static void bn(Map<String, long[]> shapes, Map<String, float[]> values, String name, int c, float gamma) {
        float[] g = new float[c];
        java.util.Arrays.fill(g, gamma);
        float[] var = new float[c];
        java.util.Arrays.fill(var, 1f);
        shapes.put(name + ".weight", new long[] {c});
        values.put(name + ".weight", g);
        shapes.put(name + ".bias", new long[] {c});
        values.put(name + ".bias", new float[c]);
        shapes.put(name + ".running_mean", new long[] {c});
        values.put(name + ".running_mean", new float[c]);
        shapes.put(name + ".running_var", new long[] {c});
        values.put(name + ".running_var", var);
    }
}
