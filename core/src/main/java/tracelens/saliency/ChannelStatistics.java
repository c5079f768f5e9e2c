package tracelens.saliency;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.statistics.distribution.NormalDistribution;
import tracelens.cnn.Cnn;
import tracelens.error.InvalidInputException;
import tracelens.model.DType;
import tracelens.model.SafeTensors;
import tracelens.model.SafeTensorsWriter;
import tracelens.nn.Hooks;
import tracelens.progress.Progress;
import tracelens.provenance.Provenance;

/**
 * ParchGrad's channel statistics (parchgrad.md §5.1), gathered over a labelled image set in one pass: for every
 * convolution, each image's gap_c = mean over positions of ReLU(conv output)_c (the raw output before batch norm,
 * as the original); then per channel the mean, the unbiased std and the Shapiro-Wilk p-value of the gaps (NaN to 1),
 * and per channel and class the one-sided Student t-test p-value of "class y has a larger mean gap than the rest".
 * Saved as safetensors ({@code gap_mean/<conv>}, {@code gap_std/<conv>}, {@code shapiro/<conv>}, {@code cls_p/<conv>}
 * (C x K)) with the provenance; statistics for another model are refused by comparing it.
 */
public final class ChannelStatistics {
    public record Channel(float[] mean, float[] std, float[] shapiro, float[][] clsP) {}

    private final Map<String, Channel> byConv;
    private final int classes;
    private final Provenance provenance;

    private ChannelStatistics(Map<String, Channel> byConv, int classes, Provenance provenance) {
        this.byConv = byConv;
        this.classes = classes;
        this.provenance = provenance;
    }

    /** A batch source: (images (B, 3, H, W) normalised, labels) per call, null when done. */
    public interface Batches {
        Map.Entry<NDArray, int[]> next(NDManager scope);
    }

    public static ChannelStatistics gather(NDManager m, Cnn cnn, Batches batches, int images, Provenance provenance, Progress progress) {
        List<String> convs = cnn.convolutions();
        List<List<float[]>> gaps = new ArrayList<>();
        convs.forEach(c -> gaps.add(new ArrayList<>()));
        List<Integer> labels = new ArrayList<>();
        progress.start("channel statistics", images);
        try {
            while (true) {
                try (NDManager scope = m.newSubManager()) {
                    Map.Entry<NDArray, int[]> batch = batches.next(scope);
                    if (batch == null) {
                        break;
                    }
                    Hooks hooks = new Hooks(scope);
                    convs.forEach(hooks::record);
                    cnn.forward(batch.getKey(), hooks);
                    int b = batch.getValue().length;
                    for (int k = 0; k < convs.size(); k++) {
                        NDArray a = hooks.recorded(convs.get(k));
                        long c = a.getShape().get(1);
                        float[] g = Activation.relu(a).reshape(b, c, -1).mean(new int[] {2}).toFloatArray();
                        for (int i = 0; i < b; i++) {
                            gaps.get(k).add(Arrays.copyOfRange(g, (int) (i * c), (int) ((i + 1) * c)));
                        }
                    }
                    for (int y : batch.getValue()) {
                        labels.add(y);
                    }
                    progress.advance(b);
                }
            }
        } finally {
            progress.end();
        }
        int[] y = labels.stream().mapToInt(Integer::intValue).toArray();
        int k = cnn.numClasses();
        Map<String, Channel> out = new LinkedHashMap<>();
        for (int i = 0; i < convs.size(); i++) {
            out.put(convs.get(i), channel(gaps.get(i), y, k));
        }
        return new ChannelStatistics(out, k, provenance);
    }

    static Channel channel(List<float[]> rows, int[] y, int classes) {
        int n = rows.size();
        int c = rows.get(0).length;
        float[] mean = new float[c];
        float[] std = new float[c];
        float[] shapiro = new float[c];
        float[][] clsP = new float[c][classes];
        double[] col = new double[n];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < n; i++) {
                col[i] = rows.get(i)[ch];
            }
            double mu = StudentT.mean(col);
            mean[ch] = (float) mu;
            std[ch] = (float) Math.sqrt(StudentT.sumSquares(col, mu) / Math.max(1, n - 1));
            double p = n >= 3 ? ShapiroWilk.test(col).p() : Double.NaN;
            shapiro[ch] = Double.isNaN(p) ? 1f : (float) p;
            for (int cl = 0; cl < classes; cl++) {
                int in = 0;
                for (int v : y) {
                    in += v == cl ? 1 : 0;
                }
                double[] a = new double[in];
                double[] b = new double[n - in];
                int ia = 0;
                int ib = 0;
                for (int i = 0; i < n; i++) {
                    if (y[i] == cl) {
                        a[ia++] = col[i];
                    } else {
                        b[ib++] = col[i];
                    }
                }
                clsP[ch][cl] = (float) StudentT.greater(a, b).p();
            }
        }
        return new Channel(mean, std, shapiro, clsP);
    }

    public Channel of(String conv) {
        Channel c = byConv.get(conv);
        if (c == null) {
            throw new InvalidInputException("no statistics for convolution '" + conv + "'");
        }
        return c;
    }

    public Provenance provenance() {
        return provenance;
    }

    /**
     * CLS (§5.2) for target class y: p = cls_p[:, y]; alpha, or with a quantile q the k-th smallest p (k = max(1,
     * floor(C q))); H = (p <= alpha) and (shapiro < pThreshold); an empty H selects every channel. One mask for the whole
     * batch, from the batch's class (the original uses the first sample's).
     */
    public Saliency.ChannelSelection cls(String conv, double alpha, Double quantile, double pThreshold) {
        Channel s = of(conv);
        return (activation, y) -> {
            int c = s.mean().length;
            double[] p = new double[c];
            for (int ch = 0; ch < c; ch++) {
                p[ch] = s.clsP()[ch][y];
            }
            double a = quantile == null ? alpha : kthSmallest(p, quantile);
            float[] mask = new float[c];
            boolean any = false;
            for (int ch = 0; ch < c; ch++) {
                if (p[ch] <= a && s.shapiro()[ch] < pThreshold) {
                    mask[ch] = 1;
                    any = true;
                }
            }
            if (!any) {
                Arrays.fill(mask, 1f);
            }
            long b = activation.getShape().get(0);
            return activation.getManager().create(mask, new Shape(1, c)).repeat(0, b);
        };
    }

    /**
     * INS (§5.3), per sample: z = (gap - mean) / std of this activation, p = 1 - Phi(z); alpha, or the k-th smallest p of
     * the sample with a quantile; H = (p < alpha) and (shapiro < pThreshold), no fallback for an empty H.
     */
    public Saliency.ChannelSelection ins(String conv, double alpha, Double quantile, double pThreshold) {
        Channel s = of(conv);
        NormalDistribution normal = NormalDistribution.of(0, 1);
        return (activation, y) -> {
            long b = activation.getShape().get(0);
            int c = (int) activation.getShape().get(1);
            float[] gap = Activation.relu(activation).reshape(b, c, -1).mean(new int[] {2}).toFloatArray();
            float[] mask = new float[(int) (b * c)];
            for (int i = 0; i < b; i++) {
                double[] p = new double[c];
                for (int ch = 0; ch < c; ch++) {
                    double z = (gap[i * c + ch] - s.mean()[ch]) / s.std()[ch];
                    p[ch] = Double.isNaN(z) ? 1 : normal.survivalProbability(z);
                }
                double a = quantile == null ? alpha : kthSmallest(p, quantile);
                for (int ch = 0; ch < c; ch++) {
                    mask[i * c + ch] = p[ch] < a && s.shapiro()[ch] < pThreshold ? 1 : 0;
                }
            }
            return activation.getManager().create(mask, new Shape(b, c));
        };
    }

    static double kthSmallest(double[] p, double q) {
        if (!(q > 0 && q <= 1)) {
            throw InvalidInputException.field("quantile", " must be in (0, 1], found " + q);
        }
        double[] sorted = p.clone();
        Arrays.sort(sorted);
        int k = Math.max(1, (int) Math.floor(sorted.length * q));
        return sorted[k - 1];
    }

    public void save(Path file) {
        List<SafeTensorsWriter.Spec> specs = new ArrayList<>();
        for (Map.Entry<String, Channel> e : byConv.entrySet()) {
            int c = e.getValue().mean().length;
            specs.add(new SafeTensorsWriter.Spec("gap_mean/" + e.getKey(), DType.F32, new long[] {c}));
            specs.add(new SafeTensorsWriter.Spec("gap_std/" + e.getKey(), DType.F32, new long[] {c}));
            specs.add(new SafeTensorsWriter.Spec("shapiro/" + e.getKey(), DType.F32, new long[] {c}));
            specs.add(new SafeTensorsWriter.Spec("cls_p/" + e.getKey(), DType.F32, new long[] {c, classes}));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "tracelens.channel-statistics/1");
        meta.put("classes", String.valueOf(classes));
        meta.put("convolutions", String.join(",", byConv.keySet()));
        meta.put("provenance", provenance.toJson());
        try (SafeTensorsWriter w = SafeTensorsWriter.create(file, specs, meta)) {
            for (Map.Entry<String, Channel> e : byConv.entrySet()) {
                Channel ch = e.getValue();
                w.writeFloats("gap_mean/" + e.getKey(), 0, ch.mean());
                w.writeFloats("gap_std/" + e.getKey(), 0, ch.std());
                w.writeFloats("shapiro/" + e.getKey(), 0, ch.shapiro());
                float[] flat = new float[ch.mean().length * classes];
                for (int i = 0; i < ch.mean().length; i++) {
                    System.arraycopy(ch.clsP()[i], 0, flat, i * classes, classes);
                }
                w.writeFloats("cls_p/" + e.getKey(), 0, flat);
            }
            w.commit();
        }
    }

    /** Reads statistics; {@code model} is the digest of the weights they must belong to. */
    public static ChannelStatistics load(Path file, String modelSha256) {
        try (SafeTensors st = SafeTensors.open(file)) {
            if (!"tracelens.channel-statistics/1".equals(st.metadata().get("format"))) {
                throw InvalidInputException.at(file, "not a tracelens channel-statistics file");
            }
            Provenance p = Provenance.fromJson(st.metadata().get("provenance"), file.toString());
            String have = p.model() == null ? null : p.model().sha256();
            if (modelSha256 != null && !modelSha256.equals(have)) {
                throw InvalidInputException.at(file, "statistics were gathered for another model (weights sha256 "
                        + (have == null ? "none" : have.substring(0, 12)) + ", this model " + modelSha256.substring(0, 12) + ")");
            }
            int classes = Integer.parseInt(st.metadata().get("classes"));
            Map<String, Channel> out = new LinkedHashMap<>();
            for (String conv : st.metadata().get("convolutions").split(",")) {
                float[] flat = st.floats("cls_p/" + conv);
                int c = flat.length / classes;
                float[][] clsP = new float[c][];
                for (int i = 0; i < c; i++) {
                    clsP[i] = Arrays.copyOfRange(flat, i * classes, (i + 1) * classes);
                }
                out.put(conv, new Channel(st.floats("gap_mean/" + conv), st.floats("gap_std/" + conv), st.floats("shapiro/" + conv), clsP));
            }
            return new ChannelStatistics(out, classes, p);
        }
    }
}
