package tracelens.model.decoder;

import tracelens.error.InvalidInputException;

/**
 * The blueprint of a decoder-only transformer, general enough for the Llama family (Qwen2 included), GPT-NeoX
 * (Pythia) and GPT-2: each family's loader fills in its switches from its own config format.
 *
 * @param rotaryDim dimensions per head that rotary embedding turns (the rest pass through); 0 with learned positions
 * @param bosId beginning-of-sequence id or -1; {@code eosId} likewise
 */
public record DecoderConfig(String family, int vocabSize, int hiddenSize, int numLayers, int numHeads, int numKvHeads,
        int intermediateSize, int maxPositions, Norm norm, float normEps, Positions positions, int rotaryDim,
        double ropeTheta, boolean qkvBias, boolean outBias, Mlp mlp, boolean parallelResidual, boolean tiedEmbeddings,
        long bosId, long eosId) {

    /** Normalisation before attention and MLP. */
    public enum Norm { RMS, LAYER }

    /** How positions enter: rotary on q and k (rotate-half convention), or a learned table added to the input. */
    public enum Positions { ROTARY, LEARNED }

    /** Feed-forward: SwiGLU {@code w2(silu(w1 x) * w3 x)}, or {@code w2(gelu(w1 x + b1)) + b2} (erf or tanh GELU). */
    public enum Mlp { SWIGLU, GELU, GELU_TANH }

    public DecoderConfig {
        check(hiddenSize > 0 && numHeads > 0 && hiddenSize % numHeads == 0,
                "hidden size %d must be a positive multiple of the number of heads %d", hiddenSize, numHeads);
        check(numKvHeads > 0 && numHeads % numKvHeads == 0,
                "number of heads %d must be a multiple of the number of key/value heads %d", numHeads, numKvHeads);
        check(numLayers > 0 && vocabSize > 0 && intermediateSize > 0 && maxPositions > 0,
                "layers (%d), vocabulary (%d), intermediate size (%d) and positions (%d) must be positive",
                numLayers, vocabSize, intermediateSize, maxPositions);
        check(rotaryDim % 2 == 0 && rotaryDim <= hiddenSize / numHeads,
                "rotary dimensions %d must be even and at most the head size %d", rotaryDim, hiddenSize / numHeads);
        check(positions == Positions.LEARNED || rotaryDim > 0, "rotary embedding needs rotary dimensions > 0");
        // rope_theta 0 or NaN makes every rotation angle NaN: the model then runs and prints plausible nonsense (issue 15)
        check(positions == Positions.LEARNED || (ropeTheta > 1 && Double.isFinite(ropeTheta)),
                "rope_theta %s must be a finite number above 1", ropeTheta);
        check(normEps >= 0 && Float.isFinite(normEps), "the norm epsilon %s must be a finite number >= 0", normEps);
    }

    private static void check(boolean ok, String fmt, Object... args) {
        if (!ok) {
            throw new InvalidInputException(String.format(fmt, args));
        }
    }

    public int headSize() {
        return hiddenSize / numHeads;
    }

    public int kvDim() {
        return numKvHeads * headSize();
    }

    public boolean hasNormBias() {
        return norm == Norm.LAYER;
    }

    public boolean hasMlpBias() {
        return mlp != Mlp.SWIGLU;
    }
}
