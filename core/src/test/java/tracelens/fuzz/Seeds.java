package tracelens.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import tracelens.model.DType;
import tracelens.model.SafeTensorsWriter;

/** Small valid files of every format the fuzzers mutate, written by the project's own writers where it has them. */
final class Seeds {
    private Seeds() {}

    static final Path DIR = tempDir();

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("tracelens-fuzz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A pooled activation file: layer.0 f32 (3, 4), layer.2 f16 (3, 4), labels, label names, a dtype-rich extra tensor. */
    static byte[] pooledActivations() {
        return safetensors("pooled", w -> {
            w.writeFloats("layer.0", 0, new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});
            ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 12; i++) {
                h.putShort(DType.floatToHalf(i * 0.5f));
            }
            w.write("layer.2", 0, h.flip());
            w.writeLongs("labels", 0, new long[] {0, 1, 1});
        }, List.of(spec("layer.0", DType.F32, 3, 4), spec("layer.2", DType.F16, 3, 4), spec("labels", DType.I64, 3)),
                new java.util.TreeMap<>(Map.of("format", tracelens.activations.ActivationExtractor.FORMAT, "label_names", "[\"a\",\"b\"]",
                        "pool", "mean")));
    }

    /** A token-level cache: layer.1 f16 (2, 3, 4), mask u8 (2, 3), labels. */
    static byte[] tokenActivations() {
        return safetensors("tokens", w -> {
            ByteBuffer h = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < 24; i++) {
                h.putShort(DType.floatToHalf(i * 0.25f - 2));
            }
            w.write("layer.1", 0, h.flip());
            w.write("mask", 0, ByteBuffer.wrap(new byte[] {1, 1, 0, 1, 1, 1}));
            w.writeLongs("labels", 0, new long[] {1, 0});
        }, List.of(spec("layer.1", DType.F16, 2, 3, 4), spec("mask", DType.U8, 2, 3), spec("labels", DType.I64, 2)),
                new java.util.TreeMap<>(Map.of("format", tracelens.activations.ActivationExtractor.FORMAT, "label_names", "[\"x\",\"y\"]")));
    }

    /** A llama2.c checkpoint: dim 8, hidden 16, 2 layers, 2 heads, 1 kv head, vocab 12 (shared), seq 6. */
    static byte[] llama2c(boolean shared) {
        int dim = 8, hidden = 16, layers = 2, heads = 2, kv = 1, vocab = 12, seq = 6;
        int hs = dim / heads, kvDim = kv * hs;
        long floats = (long) vocab * dim + layers * dim + (long) layers * dim * dim + 2L * layers * kvDim * dim + (long) layers * dim * dim
                + layers * dim + 3L * layers * hidden * dim + dim + 2L * seq * hs / 2 + (shared ? 0 : (long) vocab * dim);
        ByteBuffer b = ByteBuffer.allocate((int) (28 + 4 * floats)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(dim).putInt(hidden).putInt(layers).putInt(heads).putInt(kv).putInt(shared ? vocab : -vocab).putInt(seq);
        for (long i = 0; i < floats; i++) {
            b.putFloat((float) Math.sin(i) * 0.1f);
        }
        return b.array();
    }

    static SafeTensorsWriter.Spec spec(String name, DType t, long... shape) {
        return new SafeTensorsWriter.Spec(name, t, shape);
    }

    interface Fill {
        void into(SafeTensorsWriter w);
    }

    static byte[] safetensors(String name, Fill fill, List<SafeTensorsWriter.Spec> specs, Map<String, String> meta) {
        Path f = DIR.resolve("seed-" + name + ".safetensors");
        try (SafeTensorsWriter w = SafeTensorsWriter.create(f, specs, meta)) {
            fill.into(w);
            w.commit();
        }
        try {
            return Files.readAllBytes(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
