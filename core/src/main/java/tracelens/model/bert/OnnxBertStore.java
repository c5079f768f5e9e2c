package tracelens.model.bert;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.CodedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import tracelens.error.UnsupportedModelException;
import tracelens.model.TensorStore;

/**
 * The parameters of a BERT exported to ONNX by Hugging Face's exporter (e.g. all-MiniLM-L6-v2), under
 * Hugging Face names and layouts. Biases and LayerNorm parameters keep their names as initializers; the six
 * Linear weights per layer are anonymous ({@code onnx::MatMul_885}) and stored [in, out], so each is found
 * through the MatMul node that consumes it ({@code /encoder/layer.N/attention/self/query/MatMul}) and
 * transposed to [out, in].
 */
public final class OnnxBertStore implements TensorStore {
    private static final String[][] MATMULS = {
        {"attention/self/query", "attention.self.query"},
        {"attention/self/key", "attention.self.key"},
        {"attention/self/value", "attention.self.value"},
        {"attention/output/dense", "attention.output.dense"},
        {"intermediate/dense", "intermediate.dense"},
        {"output/dense", "output.dense"},
    };

    private final String origin;
    private final Map<String, OnnxMl.TensorProto> initializers = new HashMap<>();
    private final Map<String, OnnxMl.TensorProto> transposed = new HashMap<>(); // HF name -> [in, out] initializer

    private OnnxBertStore(String origin, OnnxMl.GraphProto graph, int layers) {
        this.origin = origin;
        Map<String, OnnxMl.TensorProto> byName = new HashMap<>();
        for (OnnxMl.TensorProto t : graph.getInitializerList()) {
            byName.put(t.getName(), t);
            initializers.put(t.getName(), t);
        }
        Map<String, OnnxMl.NodeProto> nodes = new HashMap<>();
        for (OnnxMl.NodeProto n : graph.getNodeList()) {
            nodes.put(n.getName(), n);
        }
        for (int l = 0; l < layers; l++) {
            for (String[] m : MATMULS) {
                String nodeName = "/encoder/layer." + l + "/" + m[0] + "/MatMul";
                OnnxMl.NodeProto node = nodes.get(nodeName);
                if (node == null || node.getInputCount() < 2 || !byName.containsKey(node.getInput(1))) {
                    throw new UnsupportedModelException(origin + ": ONNX node '" + nodeName
                            + "' with a weight initializer is missing; this is not a BERT export tracelens can map");
                }
                transposed.put("encoder.layer." + l + "." + m[1] + ".weight", byName.get(node.getInput(1)));
            }
        }
    }

    /** Parses an ONNX model (the stream is read fully and not closed). */
    public static OnnxBertStore read(String origin, InputStream in, int layers) throws IOException {
        return new OnnxBertStore(origin, parse(in).getGraph(), layers);
    }

    /**
     * Parses an ONNX file through a memory map with aliasing: initializer bytes stay in the mapped file
     * instead of being copied onto the heap (the MiniLM graph is 91 MB).
     */
    public static OnnxBertStore read(Path file, int layers) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MappedByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            CodedInputStream cis = CodedInputStream.newInstance(map);
            cis.enableAliasing(true);
            cis.setSizeLimit(Integer.MAX_VALUE);
            OnnxMl.GraphProto graph;
            try {
                graph = OnnxMl.ModelProto.parseFrom(cis).getGraph();
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw tracelens.error.InvalidInputException.at(file, "not an ONNX model (" + e.getMessage() + ")");
            }
            return new OnnxBertStore(file.toString(), graph, layers);
        }
    }

    /** Parses ONNX protobuf of any size (the default 64 MB protobuf limit is lifted). */
    public static OnnxMl.ModelProto parse(InputStream in) throws IOException {
        CodedInputStream cis = CodedInputStream.newInstance(in);
        cis.setSizeLimit(Integer.MAX_VALUE);
        return OnnxMl.ModelProto.parseFrom(cis);
    }

    private OnnxMl.TensorProto find(String name) {
        OnnxMl.TensorProto t = transposed.get(name);
        if (t == null) {
            t = initializers.get(name);
        }
        if (t == null) {
            throw new UnsupportedModelException(origin + ": tensor '" + name + "' is not in the ONNX graph");
        }
        return t;
    }

    @Override
    public boolean contains(String name) {
        return transposed.containsKey(name) || initializers.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        long[] dims = find(name).getDimsList().stream().mapToLong(Long::longValue).toArray();
        if (transposed.containsKey(name)) {
            if (dims.length != 2) {
                throw new UnsupportedModelException(origin + ": MatMul weight for '" + name + "' has dims " + Arrays.toString(dims)
                        + "; a matrix was expected");
            }
            return new long[] {dims[1], dims[0]};
        }
        return dims;
    }

    /** The element count the dims promise, checked against the stored bytes before anything is allocated. */
    private long checkedElements(String name, OnnxMl.TensorProto t) {
        long n = 1;
        for (long d : t.getDimsList()) {
            if (d < 0 || (d > 0 && n > Long.MAX_VALUE / 4 / d)) {
                throw new UnsupportedModelException(origin + ": tensor '" + name + "' has dims " + t.getDimsList() + "; not a valid shape");
            }
            n *= d;
        }
        if (n * 4 != t.getRawData().size()) {
            throw new UnsupportedModelException(origin + ": tensor '" + name + "' has dims " + t.getDimsList() + " (" + n
                    + " floats) but " + t.getRawData().size() + " bytes of data");
        }
        return n;
    }

    @Override
    public ByteBuffer float32(String name) {
        OnnxMl.TensorProto t = find(name);
        if (t.getDataType() != OnnxMl.TensorProto.DataType.FLOAT_VALUE || t.getRawData().isEmpty()) {
            throw new UnsupportedModelException(origin + ": tensor '" + name + "' is not stored as raw float32");
        }
        checkedElements(name, t);
        long[] shape = shape(name);
        ByteBuffer src = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < src.remaining() / 4; i++) {
            if (!Float.isFinite(src.getFloat(4 * i))) {
                throw new UnsupportedModelException(origin + ": tensor '" + name + "' holds " + src.getFloat(4 * i) + " at element " + i);
            }
        }
        if (!transposed.containsKey(name)) {
            return out.put(src).flip();
        }
        int in = (int) shape[1];
        int outDim = (int) shape[0];
        for (int o = 0; o < outDim; o++) { // [in, out] -> [out, in]
            for (int i = 0; i < in; i++) {
                out.putFloat(src.getFloat((i * outDim + o) * 4));
            }
        }
        return out.flip();
    }

    @Override
    public String describe() {
        return origin;
    }

    @Override
    public void close() {
        initializers.clear();
        transposed.clear();
    }
}
