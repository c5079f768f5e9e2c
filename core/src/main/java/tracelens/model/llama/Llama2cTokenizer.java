package tracelens.model.llama;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import tracelens.error.InvalidInputException;
import tracelens.model.TextTokenizer;

/**
 * llama2.c's tokenizer ({@code tokenizer.bin}, e.g. {@code tok512.bin}): int32 max_token_length, then per token a
 * float32 score, an int32 length and the bytes. Encoding follows {@code run.c}'s {@code encode}: BOS, a dummy
 * leading space, one token per UTF-8 code point (byte fallback to {@code <0xNN>} = byte + 3), then repeatedly
 * merge the adjacent pair whose concatenation is in the vocabulary with the highest score.
 */
public final class Llama2cTokenizer implements TextTokenizer {
    public static final int BOS = 1;
    public static final int EOS = 2;

    private final Path path;
    private final String[] pieces; // bytes as ISO-8859-1 strings, one char per byte
    private final float[] scores;
    private final Map<String, Integer> ids = new HashMap<>();

    private Llama2cTokenizer(Path path, String[] pieces, float[] scores) {
        this.path = path;
        this.pieces = pieces;
        this.scores = scores;
        for (int i = 0; i < pieces.length; i++) {
            ids.putIfAbsent(pieces[i], i);
        }
    }

    public static Llama2cTokenizer load(Path path) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(path);
        } catch (IOException e) {
            throw InvalidInputException.at(path, Files.exists(path) ? "cannot read: " + e.getMessage() : "tokenizer file not found");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) {
            throw InvalidInputException.at(path, "not a llama2.c tokenizer: too short");
        }
        int maxLen = b.getInt();
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (b.hasRemaining()) {
            if (b.remaining() < 8) {
                throw InvalidInputException.at(path, "token " + pieces.size(), "truncated entry");
            }
            float score = b.getFloat();
            int len = b.getInt();
            if (len < 0 || len > maxLen || len > b.remaining()) {
                throw InvalidInputException.at(path, "token " + pieces.size(), "length " + len + " is invalid (max_token_length " + maxLen + ")");
            }
            byte[] piece = new byte[len];
            b.get(piece);
            pieces.add(new String(piece, StandardCharsets.ISO_8859_1));
            scores.add(score);
        }
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
        }
        return new Llama2cTokenizer(path, pieces.toArray(String[]::new), s);
    }

    /** Token ids of {@code text} as {@code run.c} encodes a prompt: BOS first, no EOS. */
    public long[] encode(String text) {
        List<Integer> tokens = new ArrayList<>();
        tokens.add(BOS);
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > 0) {
            tokens.add(lookup(" "));
        }
        for (int i = 0; i < utf8.length; ) {
            int len = utf8Length(utf8[i]);
            len = Math.min(len, utf8.length - i);
            String cp = new String(utf8, i, len, StandardCharsets.ISO_8859_1);
            Integer id = ids.get(cp);
            if (id != null) {
                tokens.add(id);
            } else {
                for (int j = 0; j < len; j++) {
                    tokens.add((utf8[i + j] & 0xFF) + 3); // byte fallback: <0x00> is id 3
                }
            }
            i += len;
        }
        // merge the best-scoring adjacent pair (the first of equals, as run.c scans) until none is in the vocabulary;
        // each pair's merge is looked up once per tokenizer (not a string concatenation per pair per merge), and after a
        // merge only the two pairs that touch it change
        int n = tokens.size();
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            t[i] = tokens.get(i);
        }
        int[] merged = new int[Math.max(0, n - 1)];
        for (int i = 0; i + 1 < n; i++) {
            merged[i] = merge(t[i], t[i + 1]);
        }
        while (true) {
            float best = -1e10f;
            int bestAt = -1;
            for (int i = 0; i + 1 < n; i++) {
                int id = merged[i];
                if (id >= 0 && scores[id] > best) {
                    best = scores[id];
                    bestAt = i;
                }
            }
            if (bestAt < 0) {
                break;
            }
            t[bestAt] = merged[bestAt];
            System.arraycopy(t, bestAt + 2, t, bestAt + 1, n - bestAt - 2);
            System.arraycopy(merged, bestAt + 1, merged, bestAt, n - bestAt - 2);
            n--;
            if (bestAt > 0) {
                merged[bestAt - 1] = merge(t[bestAt - 1], t[bestAt]);
            }
            if (bestAt + 1 < n) {
                merged[bestAt] = merge(t[bestAt], t[bestAt + 1]);
            }
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = t[i];
        }
        return out;
    }

    /** Pair (left, right) -> the id of their concatenation, or -1 when the vocabulary has none; remembered. */
    private final java.util.concurrent.ConcurrentHashMap<Long, Integer> merges = new java.util.concurrent.ConcurrentHashMap<>();

    private int merge(int left, int right) {
        long key = ((long) left << 32) | (right & 0xFFFFFFFFL);
        Integer known = merges.get(key);
        if (known != null) {
            return known;
        }
        Integer id = ids.get(pieces[left] + pieces[right]);
        int v = id == null ? -1 : id;
        merges.put(key, v);
        return v;
    }

    private int lookup(String piece) {
        Integer id = ids.get(piece);
        if (id == null) {
            throw InvalidInputException.at(path, "llama2.c tokenizer has no token for '" + piece + "'");
        }
        return id;
    }

    private static int utf8Length(byte lead) {
        int b = lead & 0xFF;
        if (b < 0x80) {
            return 1;
        }
        if ((b & 0xE0) == 0xC0) {
            return 2;
        }
        if ((b & 0xF0) == 0xE0) {
            return 3;
        }
        if ((b & 0xF8) == 0xF0) {
            return 4;
        }
        return 1; // stray continuation byte: falls back to its byte token
    }

    /** The bytes {@code token} prints after {@code prev}, as {@code run.c}'s {@code decode}. */
    public byte[] piece(long prev, long token) {
        String p = pieces[(int) token];
        if (prev == BOS && p.startsWith(" ")) {
            p = p.substring(1); // the dummy prefix space is not printed after BOS
        }
        if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
            try {
                return new byte[] {(byte) Integer.parseInt(p.substring(3, 5), 16)};
            } catch (NumberFormatException e) {
                // an ordinary piece that merely looks like a byte token
            }
        }
        return p.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Override
    public Tokens encode(String text, int maxLength) {
        String head = TextTokenizer.head(text, maxLength);
        long[] ids = encode(head);
        if (ids.length <= maxLength) {
            return head == text ? Tokens.of(ids) : new Tokens(ids, new long[ids.length], true);
        }
        return new Tokens(Arrays.copyOf(ids, maxLength), new long[maxLength], true);
    }

    @Override
    public Tokens encodePlain(String text, int maxLength) {
        String head = TextTokenizer.head(text, maxLength);
        long[] withBos = encode(head);
        long[] ids = Arrays.copyOfRange(withBos, 1, Math.min(withBos.length, maxLength + 1)); // run.c's encode without BOS
        return new Tokens(ids, new long[ids.length], withBos.length - 1 > maxLength || head != text);
    }

    @Override
    public String decode(long[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long prev = BOS;
        for (long t : tokens) {
            if (t != BOS && t != EOS && t != 0) {
                out.writeBytes(piece(prev, t));
            }
            prev = t;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Override
    public long padId() {
        return 0;
    }

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public void close() {
        // nothing native
    }
}
