package tracelens.fuzz;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import tracelens.images.ImageFolder;
import tracelens.model.DType;
import tracelens.model.SafeTensorsStore;
import tracelens.model.bert.OnnxBertStore;

/**
 * Issue 15 outcome 2 for sharded checkpoints (model.safetensors.index.json), ONNX initializers (the built-in
 * encoder's format) and images (PNG, the ImageFolder layout's files).
 */
class StoresAndImagesFuzzTest {
    private static final Path SHARDED = shardedFolder();

    private static Path shardedFolder() {
        Path dir = Seeds.DIR.resolve("sharded");
        try {
            Files.createDirectories(dir);
            for (String shard : new String[] {"a", "b"}) {
                byte[] b = Seeds.safetensors("shard-" + shard, w -> w.writeFloats(shard + ".weight", 0, new float[] {1, 2, 3, 4}),
                        List.of(Seeds.spec(shard + ".weight", DType.F32, 2, 2)), Map.of());
                Files.write(dir.resolve("model-" + shard + ".safetensors"), b);
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return dir;
    }

    @Provide
    Arbitrary<byte[]> indexes() {
        return Mutants.of(("{\"metadata\": {\"total_size\": 32}, \"weight_map\": {\"a.weight\": \"model-a.safetensors\","
                + " \"b.weight\": \"model-b.safetensors\"}}").getBytes(StandardCharsets.UTF_8));
    }

    @Property(seed = "1521")
    void shardIndex(@ForAll("indexes") byte[] input) throws IOException {
        Outcome.check(SHARDED.resolve("model.safetensors.index.json"), input, f -> {
            try (tracelens.model.TensorStore s = SafeTensorsStore.open(f.getParent())) {
                for (String t : new String[] {"a.weight", "b.weight"}) {
                    if (s.contains(t)) {
                        s.shape(t);
                        s.float32(t);
                    }
                }
            }
        }, "sharded");
    }

    /** A BERT-like ONNX graph with one layer: named initializers and the six MatMul nodes whose weights are anonymous. */
    static byte[] onnxSeed() {
        OnnxMl.GraphProto.Builder g = OnnxMl.GraphProto.newBuilder();
        String[] mm = {"attention/self/query", "attention/self/key", "attention/self/value", "attention/output/dense",
            "intermediate/dense", "output/dense"};
        for (int i = 0; i < mm.length; i++) {
            String w = "onnx::MatMul_" + i;
            g.addInitializer(tensor(w, 2, 3));
            g.addNode(OnnxMl.NodeProto.newBuilder().setName("/encoder/layer.0/" + mm[i] + "/MatMul").addInput("x").addInput(w));
        }
        g.addInitializer(tensor("embeddings.LayerNorm.weight", 3));
        return OnnxMl.ModelProto.newBuilder().setIrVersion(8).setGraph(g).build().toByteArray();
    }

    private static OnnxMl.TensorProto tensor(String name, long... dims) {
        int n = 1;
        for (long d : dims) {
            n *= (int) d;
        }
        ByteBuffer b = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(i * 0.5f);
        }
        OnnxMl.TensorProto.Builder t = OnnxMl.TensorProto.newBuilder().setName(name).setDataType(OnnxMl.TensorProto.DataType.FLOAT_VALUE)
                .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    @Provide
    Arbitrary<byte[]> onnx() {
        return Mutants.of(onnxSeed());
    }

    @Property(seed = "1522")
    void onnxInitializers(@ForAll("onnx") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("model.onnx"), input, f -> {
            try (OnnxBertStore s = OnnxBertStore.read(f, 1)) {
                for (String t : new String[] {"encoder.layer.0.attention.self.query.weight", "encoder.layer.0.output.dense.weight",
                    "embeddings.LayerNorm.weight"}) {
                    if (s.contains(t)) {
                        s.shape(t);
                        s.float32(t);
                    }
                }
            }
        });
    }

    static byte[] png(int channels) {
        Path f = Seeds.DIR.resolve("seed-" + channels + ".png");
        float[] px = new float[channels * 5 * 7];
        for (int i = 0; i < px.length; i++) {
            px[i] = (i % 11) / 10f;
        }
        try {
            ImageFolder.writePng(f, new ImageFolder.Item("x.png", 0, channels, 5, 7, px));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return Seeds.read(f);
    }

    @Provide
    Arbitrary<byte[]> images() {
        return Mutants.of(png(1), png(3));
    }

    @Property(seed = "1523")
    void pngImages(@ForAll("images") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("img.png"), input, f -> ImageFolder.readImage(f, "img.png", 0));
    }

    @net.jqwik.api.lifecycle.AfterContainer
    static void report() {
        System.out.print(Outcome.tally());
    }
}
