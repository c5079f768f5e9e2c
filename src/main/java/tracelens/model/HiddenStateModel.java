package tracelens.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.SortedMap;

/**
 * A frozen model that exposes every layer's hidden state, in the Hugging Face {@code hidden_states}
 * convention: index 0 is the embedding output, index l the output of block l, the last index the final
 * representation. The model owns its weights and closes them.
 */
public interface HiddenStateModel extends AutoCloseable {
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

    /**
     * Runs the model on {@code batch} and returns the hidden states with the given indices, each (B, T, C),
     * attached to {@code scope}; everything else computed on the way is freed before returning.
     */
    SortedMap<Integer, NDArray> hiddenStates(NDManager scope, TokenBatch batch, int[] layers);

    @Override
    void close();
}
