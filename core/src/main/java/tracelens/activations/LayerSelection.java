package tracelens.activations;

import java.util.TreeSet;
import tracelens.error.InvalidInputException;

/**
 * Parses a layer list against a model with hidden states 0..L: {@code all}, or comma-separated indices and
 * ranges ({@code 0,3-5}); negative indices count from the end ({@code -1} is the last hidden state).
 */
public final class LayerSelection {
    private LayerSelection() {}

    public static int[] parse(String spec, int numLayers) {
        String s = spec.trim();
        if (s.equalsIgnoreCase("all")) {
            int[] all = new int[numLayers + 1];
            for (int i = 0; i <= numLayers; i++) {
                all[i] = i;
            }
            return all;
        }
        TreeSet<Integer> out = new TreeSet<>();
        for (String part : s.split(",")) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-', 1);
                if (dash > 0) {
                    int lo = index(p.substring(0, dash), numLayers, spec);
                    int hi = index(p.substring(dash + 1), numLayers, spec);
                    if (lo > hi) {
                        throw bad(spec, numLayers, "range " + p + " is empty");
                    }
                    for (int i = lo; i <= hi; i++) {
                        out.add(i);
                    }
                } else {
                    out.add(index(p, numLayers, spec));
                }
            } catch (NumberFormatException e) {
                throw bad(spec, numLayers, "'" + p + "' is not a layer index");
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int index(String p, int numLayers, String spec) {
        int i = Integer.parseInt(p.trim());
        int resolved = i < 0 ? numLayers + 1 + i : i;
        if (resolved < 0 || resolved > numLayers) {
            throw bad(spec, numLayers, "layer " + i + " is out of range");
        }
        return resolved;
    }

    private static InvalidInputException bad(String spec, int numLayers, String why) {
        return InvalidInputException.field("layers", " '" + spec + "': " + why + "; this model has hidden states 0.." + numLayers
                + " (0 = embeddings), or say 'all'");
    }
}
