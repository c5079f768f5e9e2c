package tracelens.model;

/**
 * Text to token ids and back, with truncation done the same way for every model family: content is cut to the
 * length limit and trailing special tokens (such as BERT's [SEP]) are kept.
 */
public interface TextTokenizer extends AutoCloseable {
    /** One encoded text. {@code truncated} tells that content was cut to fit the length limit. */
    record Tokens(long[] ids, long[] typeIds, boolean truncated) {
        public int length() {
            return ids.length;
        }

        public static Tokens of(long[] ids) {
            return new Tokens(ids, new long[ids.length], false);
        }
    }

    /** Encodes one text as the model expects it (special tokens included), cut to at most {@code maxLength} ids. */
    Tokens encode(String text, int maxLength);

    /** Encodes one text without special tokens (no BOS, CLS or SEP), cut to at most {@code maxLength} ids. */
    Tokens encodePlain(String text, int maxLength);

    /** Characters per token beyond which a text is cut before tokenizing: no real token is this long. */
    int MAX_CHARS_PER_TOKEN = 64;

    /**
     * The part of {@code text} that can reach the first {@code maxLength} tokens: a megabyte-long line would otherwise
     * be tokenized whole (minutes, gigabytes) only to keep its first few hundred tokens. Returns {@code text} itself
     * when it is short enough, so callers can tell a cut by identity.
     */
    static String head(String text, int maxLength) {
        long budget = (long) maxLength * MAX_CHARS_PER_TOKEN;
        if (text.length() <= budget) {
            return text;
        }
        int end = (int) budget;
        if (Character.isHighSurrogate(text.charAt(end - 1))) {
            end--; // never split a surrogate pair
        }
        return text.substring(0, end);
    }

    String decode(long[] ids);

    /**
     * Each token's text as a reader sees it in context: what decoding one more token adds to the decoded prefix. So a
     * SentencePiece word start keeps its space (decoded alone it is "" or loses the space), and the bytes of a
     * character split over byte-fallback tokens go to the token that completes it (the others get ""). The pieces
     * concatenate to {@code decode(ids)}.
     */
    default String[] pieces(long[] ids) {
        String[] out = new String[ids.length];
        String shown = "";
        for (int t = 0; t < ids.length; t++) {
            String full = decode(java.util.Arrays.copyOf(ids, t + 1));
            int end = full.length();
            while (t + 1 < ids.length && end > 0 && full.charAt(end - 1) == '\uFFFD') {
                end--; // an incomplete character: wait for the token that completes it
            }
            String stable = full.substring(0, end);
            if (stable.startsWith(shown)) {
                out[t] = stable.substring(shown.length());
                shown = stable;
            } else { // decoding rewrote earlier text (rare normalisers): fall back to the token alone
                out[t] = decode(new long[] {ids[t]});
                shown = stable;
            }
        }
        return out;
    }

    /** The id that fills padded positions (masked out everywhere). */
    long padId();

    /** Number of ids the tokenizer can produce (checked against the model's vocabulary). */
    int vocabSize();

    @Override
    void close();
}
