package tracelens.activations;

import java.util.List;
import tracelens.error.InvalidInputException;
import tracelens.model.HiddenStateModel;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;

/**
 * How a text becomes the model's input window of at most T tokens.
 *
 * <ul>
 *   <li>{@link #TRACELENS}: the tokenizer's own encoding (special tokens included) cut to T, batches padded to their
 *       longest row on the model's side, positions counting real tokens only (a text reads the same in any batch).</li>
 *   <li>{@link #ORIGINAL}: the SIP code's (sip.md §2): the first T whitespace words, tokenized without special tokens,
 *       cut to T - 1 tokens, left-padded with the pad id to exactly T, positions 0..T-1 over the padded row (so every
 *       row has at least one pad and a short text sits at high positions).</li>
 * </ul>
 */
public enum Window {
    TRACELENS, ORIGINAL;

    public static Window parse(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "tracelens" -> TRACELENS;
            case "original" -> ORIGINAL;
            default -> throw InvalidInputException.field("window", " must be tracelens or original, found '" + s + "'");
        };
    }

    /** One text's tokens in this window of {@code t} tokens. */
    public TextTokenizer.Tokens encode(TextTokenizer tok, String text, int t) {
        if (this == TRACELENS) {
            return tok.encode(text, t);
        }
        TextTokenizer.Tokens plain = tok.encodePlain(firstWords(text, t), t - 1);
        boolean moreWords = text.strip().split("\\s+", t + 1).length > t; // not a length test: runs of spaces cut nothing
        return moreWords && !plain.truncated() ? new TextTokenizer.Tokens(plain.ids(), plain.typeIds(), true) : plain;
    }

    /** A batch of encoded rows for {@code model}, {@code t} being the window's length. */
    public TokenBatch batch(List<TextTokenizer.Tokens> rows, HiddenStateModel model, int t) {
        return this == TRACELENS ? TokenBatch.of(rows, model.tokenizer().padId(), model.padLeft())
                : TokenBatch.window(rows, model.tokenizer().padId(), t);
    }

    /** The first {@code n} whitespace-separated words of {@code text}, joined by single spaces. */
    static String firstWords(String text, int n) {
        String[] words = text.strip().split("\\s+", n + 1);
        return String.join(" ", java.util.Arrays.asList(words).subList(0, Math.min(n, words.length)));
    }
}
