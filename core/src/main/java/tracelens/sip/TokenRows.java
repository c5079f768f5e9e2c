package tracelens.sip;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import tracelens.model.HiddenStateModel;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.runtime.DjlRuntime;

/**
 * Token-level identifier inputs (sip.md §3): the hidden state of one layer at every real token of a text, as
 * unigram rows h_t or n-gram rows [h_t; h_{t+1}; ...] that never cross from one text into the next. Row t labels
 * token t, so a bigram text of T tokens gives T-1 rows.
 */
public final class TokenRows {
    /** Rows of one text and the token ids they start at. */
    public record Text(float[][] rows, long[] ids) {}

    private TokenRows() {}

    /** Runs the model over {@code texts} in batches of {@code batchSize} and returns each text's n-gram rows. */
    public static List<Text> of(HiddenStateModel model, List<String> texts, int layer, int ngram, int maxLength, int batchSize) {
        List<Text> out = new ArrayList<>();
        TextTokenizer tok = model.tokenizer();
        try (NDManager root = DjlRuntime.manager()) {
            for (int from = 0; from < texts.size(); from += batchSize) {
                List<TextTokenizer.Tokens> tokens = texts.subList(from, Math.min(texts.size(), from + batchSize)).stream()
                        .map(t -> tok.encode(t, maxLength)).toList();
                TokenBatch batch = TokenBatch.of(tokens, tok.padId(), model.padLeft());
                float[] h;
                try (NDManager scope = root.newSubManager()) {
                    h = model.hiddenStates(scope, batch, new int[] {layer}).get(layer).toFloatArray(); // (B, T, C)
                }
                int t = batch.width();
                int c = model.hiddenSize();
                for (int i = 0; i < tokens.size(); i++) {
                    int n = tokens.get(i).length();
                    int first = model.padLeft() ? t - n : 0;
                    int rows = Math.max(0, n - ngram + 1);
                    float[][] r = new float[rows][ngram * c];
                    for (int p = 0; p < rows; p++) {
                        for (int g = 0; g < ngram; g++) {
                            System.arraycopy(h, ((i * t) + first + p + g) * c, r[p], g * c, c);
                        }
                    }
                    out.add(new Text(r, tokens.get(i).ids()));
                }
            }
        }
        return out;
    }
}
