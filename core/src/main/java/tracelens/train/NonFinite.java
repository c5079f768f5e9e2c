package tracelens.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tracelens.nn.Parameters;

/**
 * Where a diverged step's NaN and infinities are, by parameter name, for the divergence error: which trainable
 * tensors have non-finite gradients (backward produced them there first, or they flowed from the loss), and whether any
 * weight is already non-finite (an earlier step or the initial weights). Only run after a step
 * failed (it copies each tensor to the heap).
 */
final class NonFinite {
    private static final int LISTED = 5;

    private NonFinite() {}

    /**
     * "; non-finite gradients in 2 of 6 tensors, last parameter first: fc.weight (3 NaN of 40), ..." or "" when every
     * gradient is finite.
     */
    static String gradients(Parameters params) {
        return describe("gradients", params, true);
    }

    /** "; non-finite weights in ...", or "" when every weight is finite. */
    static String weights(Parameters params) {
        return describe("weights", params, false);
    }

    private static String describe(String what, Parameters params, boolean gradients) {
        List<String> found = new ArrayList<>();
        int tensors = 0;
        for (Map.Entry<String, NDArray> e : params.asMap().entrySet()) {
            if (!params.isTrainable(e.getKey())) {
                continue;
            }
            tensors++;
            NDArray a = gradients ? gradientOrNull(e.getValue()) : e.getValue();
            if (a == null) {
                continue;
            }
            float[] values = a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
            if (gradients) {
                a.close(); // a handle of its own (getGradient), not the gradient itself
            }
            long nan = 0;
            long inf = 0;
            for (float v : values) {
                nan += Float.isNaN(v) ? 1 : 0;
                inf += Float.isInfinite(v) ? 1 : 0;
            }
            if (nan + inf > 0) {
                found.add(e.getKey() + " (" + (nan > 0 ? nan + " NaN" : "") + (nan > 0 && inf > 0 ? ", " : "")
                        + (inf > 0 ? inf + " infinite" : "") + " of " + values.length + ")");
            }
        }
        if (found.isEmpty()) {
            return "";
        }
        // backward starts at the output: in a model whose parameters are listed in forward order (every tracelens
        // module), the last tensor listed is where a non-finite gradient appeared first
        java.util.Collections.reverse(found);
        String list = String.join(", ", found.subList(0, Math.min(LISTED, found.size())));
        return "; non-finite " + what + " in " + found.size() + " of " + tensors + " tensors, last parameter first: " + list
                + (found.size() > LISTED ? ", ..." : "");
    }

    private static NDArray gradientOrNull(NDArray p) {
        try {
            return p.hasGradient() ? p.getGradient() : null;
        } catch (RuntimeException e) {
            return null; // a parameter the loss never reached has no gradient
        }
    }
}
