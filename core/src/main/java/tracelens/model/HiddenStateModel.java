package tracelens.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.SortedMap;
import java.util.TreeMap;
import tracelens.nn.HookedModel;
import tracelens.nn.Hooks;
import tracelens.nn.Module;

/**
 * A frozen model that exposes every layer's hidden state, in the Hugging Face {@code hidden_states}
 * convention: index 0 is the embedding output, index l the output of block l, the last index the final
 * representation. Hidden states are the activations recorded at the sites {@link #hiddenStateSite} names; any other
 * site can be recorded, replaced or gated through {@link #forward}. The model owns its weights and closes them.
 */
public interface HiddenStateModel extends HookedModel, Module {
    /** How the user named the model ("minilm" or a path). */
    String id();

    /** Architecture family, e.g. "bert". */
    String architecture();

    /** Number of transformer blocks; hidden states are indexed 0..numLayers. */
    int numLayers();

    int hiddenSize();

    /** Longest sequence the position embeddings allow. */
    int maxPositions();

    TextTokenizer tokenizer();

    /** Whether batches are padded on the left (decoders) or right (encoders). */
    boolean padLeft();

    /** The site whose activation is hidden state {@code index}: {@code embed}, {@code blocks.<i>.resid_post}, ... */
    String hiddenStateSite(int index);

    /** Runs the model on {@code batch}, passing every site through {@code hooks}; stops after the last touched site. */
    void forward(NDManager scope, TokenBatch batch, Hooks hooks);

    /**
     * The hidden states with the given indices, each (B, T, C), attached to {@code scope}: recorded at their sites in
     * one forward pass; everything else computed on the way is freed before returning.
     */
    default SortedMap<Integer, NDArray> hiddenStates(NDManager scope, TokenBatch batch, int[] layers) {
        Hooks hooks = new Hooks(scope);
        for (int l : layers) {
            hooks.record(hiddenStateSite(l));
        }
        forward(scope, batch, hooks);
        SortedMap<Integer, NDArray> out = new TreeMap<>();
        for (int l : layers) {
            out.put(l, hooks.recorded(hiddenStateSite(l)));
        }
        return out;
    }

    /** The number of weights (all of them, also those a streamed model reads only while they run). */
    default long parameterCount() {
        return parameters().count(false);
    }

    @Override
    void close();
}
