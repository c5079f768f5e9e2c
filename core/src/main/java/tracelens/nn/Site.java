package tracelens.nn;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * A named activation of a forward pass, e.g. {@code embed}, {@code blocks.3.attn_out}, {@code blocks.3.resid_post},
 * {@code final_norm}, or a convolution output such as {@code layer3.0.conv1}. {@code shape} uses -1 for the sizes that
 * depend on the input (batch B, tokens T, height, width); {@code dims} names every axis.
 */
public record Site(String name, String description, long[] shape, String[] dims) {
    /** A (B, T, C) site of a transformer. */
    public static Site tokens(String name, String description, int channels) {
        return new Site(name, description, new long[] {-1, -1, channels}, new String[] {"B", "T", "C"});
    }

    /** "(B, T, 384)". */
    public String shapeText() {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(i > 0 ? ", " : "").append(shape[i] < 0 ? dims[i] : Long.toString(shape[i]));
        }
        return s.append(')').toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Site s && s.name.equals(name) && Arrays.equals(s.shape, shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return name + " " + shapeText();
    }

    /** "embed, blocks.0.attn_out, ..." (at most {@code max} names) for error messages. */
    static String list(java.util.List<Site> sites, int max) {
        String head = sites.stream().limit(max).map(Site::name).collect(Collectors.joining(", "));
        return sites.size() > max ? head + ", ... (" + sites.size() + " in all)" : head;
    }
}
