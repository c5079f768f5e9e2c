package tracelens.cnn;

import java.nio.ByteBuffer;
import java.util.Arrays;
import tracelens.model.TensorStore;

/**
 * timm's state-dict names for the architectures whose names differ from torchvision's, in one place: the loader asks
 * for torchvision names and this store answers from a timm checkpoint. ResNet-18's names are the same in both.
 * <ul>
 *   <li>VGG16-BN: {@code features.*} are the same; timm's {@code pre_logits.fc1} (a 7x7 convolution) and
 *       {@code pre_logits.fc2} (1x1) are torchvision's {@code classifier.0} and {@code classifier.3} with their kernel
 *       dimensions flattened, and {@code head.fc} is {@code classifier.6};</li>
 *   <li>EfficientNet-B0: {@code conv_stem}/{@code bn1} are {@code features.0.0/1}; stage s of torchvision
 *       ({@code features.s}) is timm's {@code blocks.(s-1)}, whose parts are {@code conv_dw, bn1, se.conv_reduce,
 *       se.conv_expand, conv_pw, bn2} in the first stage and {@code conv_pw, bn1, conv_dw, bn2, se.*, conv_pwl, bn3}
 *       after it; {@code conv_head}/{@code bn2} are {@code features.8.0/1} and {@code classifier} is
 *       {@code classifier.1}.</li>
 * </ul>
 */
final class TimmLayout implements TensorStore {
    private final TensorStore timm;
    private final Cnn.Arch arch;

    private TimmLayout(TensorStore timm, Cnn.Arch arch) {
        this.timm = timm;
        this.arch = arch;
    }

    /** {@code store} itself when it is in torchvision's layout, else a view that reads it by torchvision names. */
    static TensorStore of(TensorStore store, Cnn.Arch arch) {
        boolean timm = switch (arch) {
            case RESNET18 -> false;
            case VGG16_BN -> store.contains("pre_logits.fc1.weight");
            case EFFICIENTNET_B0 -> store.contains("conv_stem.weight");
        };
        return timm ? new TimmLayout(store, arch) : store;
    }

    /** The timm name of a torchvision tensor name. */
    String timmName(String tv) {
        return switch (arch) {
            case RESNET18 -> tv;
            case VGG16_BN -> tv.replaceFirst("^classifier\\.0\\.", "pre_logits.fc1.").replaceFirst("^classifier\\.3\\.", "pre_logits.fc2.")
                    .replaceFirst("^classifier\\.6\\.", "head.fc.");
            case EFFICIENTNET_B0 -> efficientNet(tv);
        };
    }

    private static String efficientNet(String tv) {
        if (tv.startsWith("features.0.0.")) {
            return tv.replaceFirst("^features\\.0\\.0\\.", "conv_stem.");
        }
        if (tv.startsWith("features.0.1.")) {
            return tv.replaceFirst("^features\\.0\\.1\\.", "bn1.");
        }
        if (tv.startsWith("features.8.0.")) {
            return tv.replaceFirst("^features\\.8\\.0\\.", "conv_head.");
        }
        if (tv.startsWith("features.8.1.")) {
            return tv.replaceFirst("^features\\.8\\.1\\.", "bn2.");
        }
        if (tv.startsWith("classifier.1.")) {
            return tv.replaceFirst("^classifier\\.1\\.", "classifier.");
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^features\\.(\\d+)\\.(\\d+)\\.block\\.(\\d+)\\.(0|1|fc1|fc2)\\.(.*)$").matcher(tv);
        if (!m.matches()) {
            return tv;
        }
        int stage = Integer.parseInt(m.group(1));
        int part = Integer.parseInt(m.group(3));
        String sub = m.group(4);
        String prefix = "blocks." + (stage - 1) + "." + m.group(2) + ".";
        String[][] parts = stage == 1
                ? new String[][] {{"conv_dw", "bn1"}, {"se"}, {"conv_pw", "bn2"}}
                : new String[][] {{"conv_pw", "bn1"}, {"conv_dw", "bn2"}, {"se"}, {"conv_pwl", "bn3"}};
        if (part >= parts.length) {
            return tv; // no such part in this stage: absent in timm's file too
        }
        String[] p = parts[part];
        String name = switch (sub) {
            case "0" -> p[0];
            case "1" -> p[1];
            case "fc1" -> "se.conv_reduce";
            default -> "se.conv_expand";
        };
        return prefix + name + "." + m.group(5);
    }

    @Override
    public boolean contains(String name) {
        return timm.contains(timmName(name));
    }

    @Override
    public long[] shape(String name) {
        long[] s = timm.shape(timmName(name));
        boolean linear = arch == Cnn.Arch.VGG16_BN && name.startsWith("classifier.") && name.endsWith(".weight");
        if (linear && s.length == 4) { // a convolution standing in for a Linear layer: flatten its kernel
            return new long[] {s[0], s[1] * s[2] * s[3]};
        }
        return s;
    }

    @Override
    public ByteBuffer float32(String name) {
        return timm.float32(timmName(name)); // flattening keeps the memory order (out, in, kh, kw) = (out, in * kh * kw)
    }

    @Override
    public String describe() {
        return timm.describe() + " (timm layout)";
    }

    @Override
    public void close() {
        timm.close();
    }

    @Override
    public String toString() {
        return "TimmLayout" + Arrays.asList(arch);
    }
}
