import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SortedMap;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.runtime.DjlRuntime;
import tracelens.testing.OrtMiniLm;
import tracelens.testing.Sentences;

/**
 * Activation extraction throughput, all 7 MiniLM hidden states returned, ours (DJL/PyTorch) vs ONNX Runtime on the
 * original graph with the LayerNorm outputs exposed: same texts, same batches, same thread count, same process,
 * alternating rounds. Run through bench/activation-throughput.sh.
 *
 * Args: threads texts batchSize rounds
 */
public class ActivationThroughput {
    public static void main(String[] args) throws Exception {
        int threads = Integer.parseInt(args[0]);
        int n = Integer.parseInt(args[1]);
        int batchSize = Integer.parseInt(args[2]);
        int rounds = Integer.parseInt(args[3]);
        System.setProperty("ai.djl.pytorch.num_threads", String.valueOf(threads));
        try (HiddenStateModel model = ModelLoader.load("minilm"); OrtMiniLm ort = new OrtMiniLm(threads)) {
            List<TextTokenizer.Tokens> tokens = new ArrayList<>();
            for (String s : Sentences.mixed(n, 60, 11)) {
                tokens.add(model.tokenizer().encode(s, 256));
            }
            tokens.sort(Comparator.comparingInt(TextTokenizer.Tokens::length)); // as the extractor batches
            List<TokenBatch> batches = new ArrayList<>();
            long realTokens = 0;
            for (int i = 0; i < tokens.size(); i += batchSize) {
                TokenBatch b = TokenBatch.of(tokens.subList(i, Math.min(tokens.size(), i + batchSize)), 0, false);
                batches.add(b);
                realTokens += b.realTokens();
            }
            int[] all = {0, 1, 2, 3, 4, 5, 6};
            double[] ours = new double[rounds];
            double[] peer = new double[rounds];
            for (int r = -1; r < rounds; r++) { // round -1 warms both up
                long t0 = System.nanoTime();
                for (TokenBatch b : batches) {
                    try (NDManager scope = DjlRuntime.manager()) {
                        SortedMap<Integer, NDArray> h = model.hiddenStates(scope, b, all);
                        for (NDArray a : h.values()) {
                            a.toFloatArray();
                        }
                    }
                }
                long t1 = System.nanoTime();
                for (TokenBatch b : batches) {
                    ort.hiddenStates(b);
                }
                long t2 = System.nanoTime();
                if (r >= 0) {
                    ours[r] = realTokens / ((t1 - t0) / 1e9);
                    peer[r] = realTokens / ((t2 - t1) / 1e9);
                }
            }
            Arrays.sort(ours);
            Arrays.sort(peer);
            double o = ours[rounds / 2];
            double p = peer[rounds / 2];
            System.out.printf("threads=%d texts=%d batch=%d real_tokens=%d rounds=%d%n", threads, n, batchSize, realTokens, rounds);
            System.out.printf("tracelens (DJL/PyTorch): %.0f tokens/s (median; min %.0f, max %.0f)%n", o, ours[0], ours[rounds - 1]);
            System.out.printf("ONNX Runtime           : %.0f tokens/s (median; min %.0f, max %.0f)%n", p, peer[0], peer[rounds - 1]);
            System.out.printf("ratio tracelens/ORT    : %.2f%n", o / p);
        }
    }
}
