package tracelens.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import tracelens.activations.ActivationExtractor;
import tracelens.model.DType;
import tracelens.model.SafeTensorsWriter;
import tracelens.sip.SipGather;

/**
 * A SIP cache in the format 'sip gather' writes, filled with Gaussian "sources" (sip.md §10): source k's token states
 * are mu_k + unit noise with mu_k ~ N(0, separation^2 I). Written sample by sample, so caches of gigabytes (the
 * benchmark's 100 x 100 x 256 x 512) never sit in memory. The last {@code testFraction} of each source's samples are
 * held out; sample j of source k has real length T for even j and T - 1 - (j % T/2) otherwise (the rest is padding).
 */
public final class SyntheticCache {
    private SyntheticCache() {}

    /** {@code shared}: extra samples whose text also occurs under the next source (multi-label texts). */
    public static void write(Path dir, int sources, int perSource, int t, int c, int layer, DType dtype, double separation,
            double testFraction, int shared, long seed) {
        try {
            Files.createDirectories(dir);
            Random r = new Random(seed);
            float[][] mu = new float[sources][c];
            for (float[] m : mu) {
                for (int j = 0; j < c; j++) {
                    m[j] = (float) (r.nextGaussian() * separation);
                }
            }
            List<String> texts = new ArrayList<>();
            List<Integer> labels = new ArrayList<>();
            List<Boolean> test = new ArrayList<>();
            for (int k = 0; k < sources; k++) {
                int held = (int) Math.round(perSource * testFraction);
                for (int j = 0; j < perSource; j++) {
                    texts.add("source " + k + " sample " + j);
                    labels.add(k);
                    test.add(j >= perSource - held);
                }
                for (int j = 0; j < shared && k + 1 < sources; j++) { // the same text under k and k + 1
                    String text = "shared " + k + " " + j;
                    texts.add(text);
                    labels.add(k);
                    test.add(j % 3 == 2);
                    texts.add(text);
                    labels.add(k + 1);
                    test.add(j % 3 == 2);
                }
            }
            int n = texts.size();
            ObjectMapper json = new ObjectMapper();
            try (BufferedWriter w = Files.newBufferedWriter(dir.resolve(SipGather.SAMPLES), StandardCharsets.UTF_8)) {
                for (int i = 0; i < n; i++) {
                    w.write(json.writeValueAsString(Map.of("text", texts.get(i), "source", "source-" + labels.get(i),
                            "document", "doc", "split", test.get(i) ? "test" : "train")));
                    w.newLine();
                }
            }
            List<String> names = new ArrayList<>();
            for (int k = 0; k < sources; k++) {
                names.add("source-" + k);
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("format", ActivationExtractor.FORMAT);
            meta.put("model", "synthetic");
            meta.put("layers", "[" + layer + "]");
            meta.put("pool", "none");
            meta.put("dtype", dtype.name().toLowerCase());
            meta.put("label_names", json.writeValueAsString(names));
            String name = "layer." + layer;
            List<SafeTensorsWriter.Spec> specs = List.of(new SafeTensorsWriter.Spec(name, dtype, new long[] {n, t, c}),
                    new SafeTensorsWriter.Spec("mask", DType.U8, new long[] {n, t}),
                    new SafeTensorsWriter.Spec("labels", DType.I64, new long[] {n}));
            try (SafeTensorsWriter out = SafeTensorsWriter.create(dir.resolve(SipGather.ACTIVATIONS), specs, meta)) {
                ByteBuffer sample = ByteBuffer.allocate(t * c * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < n; i++) {
                    int len = length(i, t);
                    int k = labels.get(i);
                    sample.clear();
                    for (int p = 0; p < t; p++) {
                        for (int j = 0; j < c; j++) {
                            float v = p < len ? (float) (mu[k][j] + r.nextGaussian()) : 0f;
                            if (dtype == DType.F16) {
                                sample.putShort(DType.floatToHalf(v));
                            } else {
                                sample.putFloat(v);
                            }
                        }
                    }
                    sample.flip();
                    out.write(name, (long) i * t * c, sample);
                    ByteBuffer mask = ByteBuffer.allocate(t);
                    for (int p = 0; p < t; p++) {
                        mask.put((byte) (p < len ? 1 : 0));
                    }
                    mask.flip();
                    out.write("mask", (long) i * t, mask);
                }
                long[] l = labels.stream().mapToLong(Integer::longValue).toArray();
                out.writeLongs("labels", 0, l);
                out.commit();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Real tokens of sample i. */
    public static int length(int i, int t) {
        return i % 2 == 0 ? t : t - 1 - (i % Math.max(1, t / 2));
    }
}
