package tracelens.cnn;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import tracelens.model.SafeTensorsWriter;

/**
 * Freshly initialised state dicts, as torchvision initialises its models, drawn from a seeded generator: convolutions
 * Kaiming-normal (fan out, ReLU gain), batch-norm weight 1 and bias 0, running mean 0 and variance 1.
 */
public final class CnnInit {
    private CnnInit() {}

    /** A fresh state dict for {@code arch} with first-stage width {@code width}. */
    public static void write(Cnn.Arch arch, Path file, int width, int classes, long seed) {
        switch (arch) {
            case RESNET18 -> resnet18(file, width, classes, seed);
            case VGG16_BN -> vgg16Bn(file, width, classes, seed);
            default -> throw new tracelens.error.InvalidInputException("training from scratch supports resnet18 and vgg16_bn, not " + arch.id);
        }
    }

    /**
     * ResNet-18 with {@code zero_init_residual=True} (the last batch norm of each residual branch has weight 0, so every
     * block starts as the identity), fc PyTorch's default U(-1/sqrt(in), 1/sqrt(in)). Stage widths w, 2w, 4w, 8w
     * (torchvision: w = 64).
     */
    public static void resnet18(Path file, int width, int classes, long seed) {
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
        linearUniform(shapes, values, "fc", classes, in, r);
        SafeTensorsWriter.writeAll(file, shapes, values, Map.of("init", "torchvision resnet18, zero_init_residual, seed " + seed));
    }

    /**
     * VGG16-BN with block widths w, 2w, 4w, 8w, 8w (torchvision: w = 64) and classifier widths 8w * 49 -> 4w -> 4w -> K
     * (torchvision: 4096): conv biases 0, linear layers N(0, 0.01) with bias 0, as torchvision's VGG init.
     */
    public static void vgg16Bn(Path file, int width, int classes, long seed) {
        Random r = new Random(seed);
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, float[]> values = new LinkedHashMap<>();
        int[] blocks = {2, 2, 3, 3, 3};
        int[] widths = {width, 2 * width, 4 * width, 8 * width, 8 * width};
        int in = 3;
        int index = 0;
        for (int b = 0; b < blocks.length; b++) {
            for (int i = 0; i < blocks[b]; i++) {
                conv(shapes, values, "features." + index, widths[b], in, 3, r);
                shapes.put("features." + index + ".bias", new long[] {widths[b]});
                values.put("features." + index + ".bias", new float[widths[b]]);
                bn(shapes, values, "features." + (index + 1), widths[b], 1);
                in = widths[b];
                index += 3;
            }
            index++; // the max-pool
        }
        int hidden = 4 * width;
        linearNormal(shapes, values, "classifier.0", hidden, in * 49, r);
        linearNormal(shapes, values, "classifier.3", hidden, hidden, r);
        linearNormal(shapes, values, "classifier.6", classes, hidden, r);
        SafeTensorsWriter.writeAll(file, shapes, values, Map.of("init", "torchvision vgg16_bn init, width " + width + ", seed " + seed));
    }

    private static void linearUniform(Map<String, long[]> shapes, Map<String, float[]> values, String name, int out, int in, Random r) {
        float[] w = new float[out * in];
        float[] b = new float[out];
        double bound = 1 / Math.sqrt(in);
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) ((2 * r.nextDouble() - 1) * bound);
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) ((2 * r.nextDouble() - 1) * bound);
        }
        shapes.put(name + ".weight", new long[] {out, in});
        values.put(name + ".weight", w);
        shapes.put(name + ".bias", new long[] {out});
        values.put(name + ".bias", b);
    }

    private static void linearNormal(Map<String, long[]> shapes, Map<String, float[]> values, String name, int out, int in, Random r) {
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * 0.01);
        }
        shapes.put(name + ".weight", new long[] {out, in});
        values.put(name + ".weight", w);
        shapes.put(name + ".bias", new long[] {out});
        values.put(name + ".bias", new float[out]);
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
