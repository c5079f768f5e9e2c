package tracelens.cli;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;
import tracelens.cnn.Cnn;
import tracelens.saliency.ChannelGradient;
import tracelens.saliency.ChannelStatistics;
import tracelens.saliency.HookSelection;
import tracelens.saliency.Saliency;

/** ParchGrad's settings, shared by 'saliency' and 'parchgrad evaluate': channel selection, hooked layers, gradient rule. */
public final class ParchGradOptions {
    @Option(names = "--alpha", defaultValue = "0.05", paramLabel = "A", description = "p-value threshold without --quantile. (default: ${DEFAULT-VALUE})")
    double alpha;

    @Option(names = "--quantile", defaultValue = "0.1", paramLabel = "Q", description = "Threshold as the k-th smallest p, k = floor(C Q); 0 uses --alpha. (default: ${DEFAULT-VALUE})")
    double quantile;

    @Option(names = "--p-threshold", defaultValue = "0.05", paramLabel = "P", description = "Shapiro-Wilk p below which a channel may be selected. (default: ${DEFAULT-VALUE})")
    double pThreshold;

    @Option(names = "--layer-ratio", paramLabel = "R", description = "Hook the last floor(R n) convolutions, R in (0, 1] (default: the architecture's defaults).")
    Double layerRatio;

    @Option(names = "--gamma", defaultValue = "Infinity", paramLabel = "G", description = "Finite gamma keeps L scaled instead of pruned. (default: ${DEFAULT-VALUE})")
    double gamma;

    @Option(names = "--no-variance-conservation", description = "Do not rescale H (beta = 1).")
    boolean noConservation;

    /** Checks --layer-ratio before any work. */
    void check() {
        if (layerRatio != null && !(layerRatio > 0 && layerRatio <= 1)) {
            throw new tracelens.error.InvalidInputException("--layer-ratio must be in (0, 1], found " + layerRatio);
        }
    }

    /** The hooked convolutions: the architecture's defaults, or the last floor(R n) with --layer-ratio. */
    List<String> hooked(Cnn cnn) {
        return layerRatio == null ? HookSelection.defaults(cnn) : HookSelection.ratio(cnn, layerRatio);
    }

    ChannelGradient.Options gradientOptions() {
        return new ChannelGradient.Options(!noConservation, gamma, true, false);
    }

    /** ParchGrad with CLS ({@code cls} true) or INS selection at each hooked convolution, from its own statistics. */
    Saliency.ParchGrad parchGrad(boolean cls, List<String> hooked, ChannelStatistics st) {
        Double q = quantile > 0 ? quantile : null;
        Map<String, Saliency.ChannelSelection> rules = new LinkedHashMap<>();
        for (String conv : hooked) {
            rules.put(conv, cls ? st.cls(conv, alpha, q, pThreshold) : st.ins(conv, alpha, q, pThreshold));
        }
        return new Saliency.ParchGrad(hooked, rules, gradientOptions());
    }
}
