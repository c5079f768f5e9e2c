package tracelens.cnn;

/**
 * Prints, per architecture named in the arguments, how many elements of the input gradient differ from torchvision's
 * by more than CnnParityTest's tolerance ("RESNET18 off 0 of 24576"): run in a child JVM by AmdCacheLeafTest.
 */
public final class InputGradientProbe {
    private InputGradientProbe() {}

    public static void main(String[] args) throws Exception {
        for (String a : args) {
            TorchvisionGradients g = TorchvisionGradients.of(Cnn.Arch.valueOf(a));
            System.out.println(a + " off " + g.gradientElementsOff() + " of " + g.wantInputGradient().length);
        }
    }
}
