package tracelens.pifi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.Locale;
import java.util.Random;
import tracelens.error.InvalidInputException;
import tracelens.model.HiddenStateModel;
import tracelens.model.TokenBatch;
import tracelens.model.decoder.DecoderBlock;
import tracelens.nn.Linear;
import tracelens.nn.Module;
import tracelens.nn.Parameters;

/**
 * The PiFi classifier (pifi_ilm.md §1):
 * <pre>
 *   h_enc  = Pool(SLM(x))                          d_slm
 *   x2     = Block_l(W_in h_enc as one position)   d_llm, the frozen LLM block by its exact one-position shortcut
 *   h      = W_out x2                              d_slm
 *   logits = Linear(d_slm, C)(GELU(Dropout(p)(Linear(d_slm, d_slm)(h))))
 * </pre>
 * W_in and W_out have no bias. {@link Method#BASE} applies the same head to h_enc directly. The small model, the
 * projections and the head are trainable; the block is frozen. Dropout masks come from a seeded generator.
 */
public final class PiFiModel implements Module {
    public enum Method { PIFI, BASE }

    /** cls: the first token of the last layer; mean: over real tokens; mean-with-padding: over all positions. */
    public enum Pooling { CLS, MEAN, MEAN_WITH_PADDING;
        public static Pooling parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "cls" -> CLS;
                case "mean", "average_pooling_without_padding" -> MEAN;
                case "mean-with-padding", "average_pooling_with_padding" -> MEAN_WITH_PADDING;
                default -> throw InvalidInputException.field("pooling", " must be cls, mean or mean-with-padding, found '" + s + "'");
            };
        }
    }

    private final HiddenStateModel slm;
    private final DecoderBlock block; // null for BASE
    private final Linear in;
    private final Linear out;
    private final Linear head1;
    private final Linear head2;
    private final Pooling pooling;
    private final float dropout;
    private final Random dropoutRandom;
    private final Parameters params = new Parameters();
    private boolean training;

    /** {@code block} may be null (BASE); the layers are initialised from {@code init} in a fixed order. */
    public PiFiModel(NDManager manager, HiddenStateModel slm, DecoderBlock block, int classes, Pooling pooling, float dropout, Random init,
            long dropoutSeed) {
        int ds = slm.hiddenSize();
        if (block != null && block.config().hiddenSize() < 1) {
            throw new InvalidInputException("the LLM block has no hidden size");
        }
        this.slm = slm;
        this.block = block;
        this.pooling = pooling;
        this.dropout = dropout;
        this.dropoutRandom = new Random(dropoutSeed);
        params.addAll("slm", slm.parameters());
        if (block != null) {
            int dl = block.config().hiddenSize();
            in = new Linear(manager, ds, dl, false, init);
            out = new Linear(manager, dl, ds, false, init);
            params.addAll("w_in", in.parameters());
            params.addAll("block", block.freeze().parameters());
            params.addAll("w_out", out.parameters());
        } else {
            in = null;
            out = null;
        }
        head1 = new Linear(manager, ds, ds, true, init);
        head2 = new Linear(manager, ds, classes, true, init);
        params.addAll("head.0", head1.parameters());
        params.addAll("head.1", head2.parameters());
    }

    public Method method() {
        return block == null ? Method.BASE : Method.PIFI;
    }

    /** Logits (B, C) for a batch; the result lives in {@code scope}. */
    public NDArray forward(NDManager scope, TokenBatch batch) {
        int last = slm.numLayers();
        NDArray states = slm.hiddenStates(scope, batch, new int[] {last}).get(last); // (B, T, C)
        NDArray h = switch (pooling) {
            case CLS -> states.get(":, 0, :");
            case MEAN_WITH_PADDING -> states.mean(new int[] {1});
            case MEAN -> scope.create(tracelens.activations.Pooling.MEAN.weights(batch), new Shape(batch.batch(), 1, batch.width()))
                    .matMul(states).squeeze(1);
        };
        if (block != null) {
            h = out.forward(block.forwardOnePosition(in.forward(h)));
        }
        NDArray z = head1.forward(h);
        if (training && dropout > 0) {
            long n = z.getShape().size();
            float[] mask = new float[(int) n];
            float keep = 1 / (1 - dropout);
            for (int i = 0; i < mask.length; i++) {
                mask[i] = dropoutRandom.nextFloat() < dropout ? 0f : keep;
            }
            z = z.mul(scope.create(mask, z.getShape()));
        }
        return head2.forward(Activation.gelu(z));
    }

    @Override
    public Parameters parameters() {
        return params;
    }

    @Override
    public void setTraining(boolean training) {
        this.training = training;
    }

    @Override
    public boolean isTraining() {
        return training;
    }

    /** Frees the projections and the head; the small model and the block belong to the caller. */
    @Override
    public void close() {
        if (in != null) {
            in.close();
            out.close();
        }
        head1.close();
        head2.close();
    }
}
