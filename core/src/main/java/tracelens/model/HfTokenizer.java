package tracelens.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import tracelens.error.InvalidInputException;
import tracelens.runtime.DjlRuntime;

/**
 * A Hugging Face {@code tokenizer.json} (through DJL's binding of the Rust tokenizers). Padding and
 * truncation are done here on the id arrays, not by tokenizer options, so every model family truncates the
 * same way: the content is cut, trailing special tokens such as [SEP] are kept.
 */
public final class HfTokenizer implements TextTokenizer {

    private static final Map<String, String> OPTIONS = Map.of(
            "padding", "false", "truncation", "false", "addSpecialTokens", "true");

    private final HuggingFaceTokenizer tokenizer;
    private final long padId;
    private final int vocabSize;
    private final int trailingSpecials;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, long padId, int vocabSize) {
        this.tokenizer = tokenizer;
        this.padId = padId;
        this.vocabSize = vocabSize;
        long[] special = tokenizer.encode("a").getSpecialTokenMask();
        int t = 0;
        for (int i = special.length - 1; i >= 0 && special[i] == 1; i--) {
            t++;
        }
        this.trailingSpecials = t;
    }

    public static HfTokenizer load(Path tokenizerJson) {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw InvalidInputException.at(tokenizerJson, "tokenizer file not found");
        }
        try (InputStream in = Files.newInputStream(tokenizerJson)) {
            return load(tokenizerJson.toString(), in.readAllBytes());
        } catch (IOException e) {
            throw InvalidInputException.at(tokenizerJson, "cannot read: " + e.getMessage());
        }
    }

    public static HfTokenizer load(String origin, byte[] tokenizerJson) {
        DjlRuntime.configure();
        long padId = 0;
        int vocab = 0;
        try {
            JsonNode root = new ObjectMapper().readTree(tokenizerJson);
            JsonNode pad = root.path("padding").path("pad_id");
            if (pad.isNumber()) {
                padId = pad.asLong();
            }
            // vocabulary size = highest id + 1 over the model's vocab and the added tokens
            JsonNode v = root.path("model").path("vocab");
            if (v.isObject()) {
                for (JsonNode id : (Iterable<JsonNode>) v::elements) {
                    vocab = Math.max(vocab, id.asInt() + 1);
                }
            } else if (v.isArray()) {
                vocab = v.size();
            }
            for (JsonNode t : root.path("added_tokens")) {
                vocab = Math.max(vocab, t.path("id").asInt() + 1);
            }
        } catch (IOException e) {
            throw new InvalidInputException(origin + ": tokenizer is not valid JSON: " + e.getMessage());
        }
        try {
            HuggingFaceTokenizer tok = HuggingFaceTokenizer.newInstance(
                    new java.io.ByteArrayInputStream(tokenizerJson), OPTIONS);
            return new HfTokenizer(tok, padId, vocab);
        } catch (IOException | RuntimeException e) {
            throw new InvalidInputException(origin + ": cannot load tokenizer: " + e.getMessage(), e);
        }
    }

    @Override
    public Tokens encode(String text, int maxLength) {
        String head = TextTokenizer.head(text, maxLength);
        Encoding enc = tokenizer.encode(head);
        Tokens t = truncate(enc.getIds(), enc.getTypeIds(), maxLength);
        return head == text || t.truncated() ? t : new Tokens(t.ids(), t.typeIds(), true);
    }

    @Override
    public Tokens encodePlain(String text, int maxLength) {
        String head = TextTokenizer.head(text, maxLength);
        Encoding enc = tokenizer.encode(head, false, false);
        long[] ids = enc.getIds();
        boolean cut = ids.length > maxLength || head != text;
        return new Tokens(Arrays.copyOf(ids, Math.min(ids.length, maxLength)),
                Arrays.copyOf(enc.getTypeIds(), Math.min(ids.length, maxLength)), cut);
    }

    private Tokens truncate(long[] ids, long[] typeIds, int maxLength) {
        if (ids.length <= maxLength) {
            return new Tokens(ids, typeIds, false);
        }
        int keep = maxLength - trailingSpecials;
        long[] outIds = Arrays.copyOf(ids, maxLength);
        long[] outTypes = Arrays.copyOf(typeIds, maxLength);
        System.arraycopy(ids, ids.length - trailingSpecials, outIds, keep, trailingSpecials);
        System.arraycopy(typeIds, typeIds.length - trailingSpecials, outTypes, keep, trailingSpecials);
        return new Tokens(outIds, outTypes, true);
    }

    @Override
    public long padId() {
        return padId;
    }

    @Override
    public int vocabSize() {
        return vocabSize;
    }

    @Override
    public String decode(long[] ids) {
        return tokenizer.decode(ids);
    }

    /**
     * The same tokenizer padding with {@code id} (decoders pad with EOS when tokenizer.json names no pad token).
     * The result takes over the native tokenizer: close it, not this one.
     */
    public HfTokenizer withPadId(long id) {
        return new HfTokenizer(tokenizer, id, vocabSize);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
