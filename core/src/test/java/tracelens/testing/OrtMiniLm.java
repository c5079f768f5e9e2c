package tracelens.testing;

import ai.onnx.proto.OnnxMl;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.HashMap;
import java.util.Map;
import tracelens.model.ModelLoader;
import tracelens.model.TokenBatch;
import tracelens.model.bert.OnnxBertStore;

/**
 * ONNX Runtime on the original all-MiniLM-L6-v2 graph with every LayerNorm output exposed: the independent
 * peer our BERT is checked against (shared/specs/runtime.md §6). Hidden state 6 is the graph's own
 * {@code output_0}; the internal name of the last LayerNorm is not addressable.
 */
public final class OrtMiniLm implements AutoCloseable {
    public static final int LAYERS = 6;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;

    public OrtMiniLm(int threads) throws Exception {
        OnnxMl.ModelProto model;
        try (InputStream in = ModelLoader.resource("/all-minilm-l6-v2.onnx")) {
            model = OnnxBertStore.parse(in);
        }
        OnnxMl.GraphProto.Builder graph = model.getGraph().toBuilder();
        for (int l = 0; l < LAYERS; l++) {
            graph.addOutput(output(layerOutput(l)));
        }
        byte[] bytes = model.toBuilder().setGraph(graph).build().toByteArray();
        OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
        opts.setIntraOpNumThreads(threads);
        opts.setInterOpNumThreads(1);
        session = env.createSession(bytes, opts);
    }

    private static String layerOutput(int index) {
        return index == 0 ? "/embeddings/LayerNorm/Add_1_output_0"
                : "/encoder/layer." + (index - 1) + "/output/LayerNorm/Add_1_output_0";
    }

    private static OnnxMl.ValueInfoProto output(String name) {
        return OnnxMl.ValueInfoProto.newBuilder().setName(name).setType(OnnxMl.TypeProto.newBuilder()
                .setTensorType(OnnxMl.TypeProto.Tensor.newBuilder().setElemType(OnnxMl.TensorProto.DataType.FLOAT_VALUE)))
                .build();
    }

    /** Hidden states 0..6, each flattened (B, T, C). */
    public float[][] hiddenStates(TokenBatch batch) throws Exception {
        long[] shape = {batch.batch(), batch.width()};
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.ids()), shape);
             OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.mask()), shape);
             OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.typeIds()), shape)) {
            inputs.put("input_ids", ids);
            inputs.put("attention_mask", mask);
            inputs.put("token_type_ids", types);
            try (OrtSession.Result result = session.run(inputs)) {
                float[][] out = new float[LAYERS + 1][];
                for (int l = 0; l <= LAYERS; l++) {
                    String name = l == LAYERS ? "output_0" : layerOutput(l);
                    FloatBuffer fb = ((OnnxTensor) result.get(name).orElseThrow()).getFloatBuffer();
                    out[l] = new float[fb.remaining()];
                    fb.get(out[l]);
                }
                return out;
            }
        }
    }

    @Override
    public void close() throws Exception {
        session.close();
    }
}
