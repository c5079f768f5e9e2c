package tracelens.model.llama;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import tracelens.error.InvalidInputException;
import tracelens.model.decoder.DecoderConfig;
import tracelens.model.decoder.DecoderParams;

/**
 * A checkpoint in llama2.c's legacy format (karpathy/llama2.c {@code run.c}): seven little-endian int32 (dim,
 * hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative vocab_size means the classifier is
 * not shared with the embedding), then f32 weights: token embedding, attention RMSNorm, wq, wk, wv, wo, FFN RMSNorm,
 * w1, w2, w3, final RMSNorm, two unused RoPE tables, and the classifier if not shared. Matrices are [out, in].
 *
 * <p>llama2.c rotates interleaved pairs (2i, 2i+1) of each head; our decoder rotates halves (i, i + hs/2) as
 * Hugging Face does. The rows of wq and wk are permuted on load exactly as Hugging Face's conversion script does,
 * which makes the two conventions compute the same function.
 */
public final class Llama2cCheckpoint implements DecoderParams {
    private final Path path;
    private final DecoderConfig config;
    private final long[] offsets;  // element offset of each block after the 28-byte header, in file order
    private final boolean shared;

    private static final String[] BLOCKS = {"tok_embeddings", "attn_norm", "wq", "wk", "wv", "wo", "mlp_norm", "w1", "w2", "w3",
        "norm", "freq_cis_real", "freq_cis_imag", "lm_head"};

    private Llama2cCheckpoint(Path path, DecoderConfig config, long[] offsets, boolean shared) {
        this.path = path;
        this.config = config;
        this.offsets = offsets;
        this.shared = shared;
    }

    public static Llama2cCheckpoint open(Path path) {
        if (!Files.isRegularFile(path)) {
            throw InvalidInputException.at(path, "checkpoint file not found");
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 28) {
                throw InvalidInputException.at(path, "not a llama2.c checkpoint: " + size + " bytes, shorter than its 28-byte header");
            }
            ByteBuffer head = readFully(ch, 0, 28);
            int dim = head.getInt(0), hidden = head.getInt(4), layers = head.getInt(8), heads = head.getInt(12);
            int kvHeads = head.getInt(16), vocab = head.getInt(20), seqLen = head.getInt(24);
            boolean shared = vocab > 0;
            vocab = Math.abs(vocab);
            String header = String.format("header dim=%d hidden_dim=%d n_layers=%d n_heads=%d n_kv_heads=%d vocab_size=%d seq_len=%d",
                    dim, hidden, layers, heads, kvHeads, vocab, seqLen);
            if (dim <= 0 || hidden <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || seqLen <= 0 || dim % heads != 0
                    || heads % kvHeads != 0 || dim > 1 << 16 || layers > 1024) {
                throw InvalidInputException.at(path, "not a llama2.c checkpoint (" + header + ")");
            }
            int hs = dim / heads;
            int kvDim = kvHeads * hs;
            long[] sizes = {(long) vocab * dim, (long) layers * dim, (long) layers * dim * dim, (long) layers * kvDim * dim,
                (long) layers * kvDim * dim, (long) layers * dim * dim, (long) layers * dim, (long) layers * hidden * dim,
                (long) layers * dim * hidden, (long) layers * hidden * dim, dim, (long) seqLen * hs / 2, (long) seqLen * hs / 2,
                shared ? 0 : (long) vocab * dim};
            long[] offsets = new long[sizes.length];
            long total = 0;
            for (int i = 0; i < sizes.length; i++) {
                offsets[i] = total;
                total += sizes[i];
            }
            if (28 + total * 4 != size) {
                throw InvalidInputException.at(path, "file has " + size + " bytes but its " + header + " needs " + (28 + total * 4));
            }
            DecoderConfig config = new DecoderConfig("llama2c", vocab, dim, layers, heads, kvHeads, hidden, seqLen,
                    DecoderConfig.Norm.RMS, 1e-5f, DecoderConfig.Positions.ROTARY, hs, 10000.0, false, false,
                    DecoderConfig.Mlp.SWIGLU, false, shared, 1, 2);
            return new Llama2cCheckpoint(path, config, offsets, shared);
        } catch (IOException e) {
            throw InvalidInputException.at(path, "cannot read: " + e.getMessage());
        }
    }

    /** {@code bytes} bytes at {@code position}, little-endian; files of any size (no mapping, which stops at 2 GiB). */
    private static ByteBuffer readFully(FileChannel ch, long position, int bytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes).order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (ch.read(b, position + b.position()) < 0) {
                throw new java.io.EOFException("unexpected end of file at byte " + (position + b.position()));
            }
        }
        return b.flip();
    }

    public DecoderConfig config() {
        return config;
    }

    @Override
    public ByteBuffer get(String canonical, long... shape) {
        String[] parts = canonical.split("\\.");
        int layer = -1;
        String name = canonical;
        if (parts[0].equals("layers")) {
            layer = Integer.parseInt(parts[1]);
            name = parts[2];
        } else if (canonical.equals("norm.weight")) {
            name = "norm";
        }
        int block = Arrays.asList(BLOCKS).indexOf(name);
        if (block < 0 || (name.equals("lm_head") && shared)) {
            throw InvalidInputException.at(path, "llama2.c checkpoints have no tensor '" + canonical + "'");
        }
        long count = 1;
        for (long d : shape) {
            count *= d;
        }
        long start = offsets[block] + (layer < 0 ? 0 : layer * count);
        if (count * 4 > Integer.MAX_VALUE) {
            throw InvalidInputException.at(path, "tensor '" + canonical + "' has " + count * 4 + " bytes; one tensor over 2 GiB is not supported");
        }
        ByteBuffer out;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            out = readFully(ch, 28 + start * 4, (int) (count * 4));
        } catch (IOException e) {
            throw InvalidInputException.at(path, "cannot read tensor '" + canonical + "': " + e.getMessage());
        }
        tracelens.model.SafeTensors.requireFinite(out, path, canonical);
        if (name.equals("wq")) {
            return permuteForRotateHalf(out, config.numHeads(), config.headSize(), config.hiddenSize());
        }
        if (name.equals("wk")) {
            return permuteForRotateHalf(out, config.numKvHeads(), config.headSize(), config.hiddenSize());
        }
        return out;
    }

    /**
     * Hugging Face's {@code permute(w, n_heads)}: w.view(n_heads, hs/2, 2, in).transpose(1, 2), so that within each
     * head row 2i+p moves to p*hs/2 + i.
     */
    static ByteBuffer permuteForRotateHalf(ByteBuffer w, int heads, int hs, int in) {
        ByteBuffer out = ByteBuffer.allocateDirect(heads * hs * in * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int h = 0; h < heads; h++) {
            for (int p = 0; p < 2; p++) {
                for (int i = 0; i < hs / 2; i++) {
                    int src = h * hs + 2 * i + p;
                    for (int c = 0; c < in; c++) {
                        out.putFloat(w.getFloat((src * in + c) * 4));
                    }
                }
            }
        }
        return out.flip();
    }

    @Override
    public String describe() {
        return path.toString();
    }

    @Override
    public void close() {
        // every read opens and closes the file
    }
}
