package tracelens.sip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.Arrays;
import tracelens.error.InvalidInputException;
import tracelens.error.NumericalFailureException;
import tracelens.model.DType;
import tracelens.model.SafeTensors;

/**
 * Token-level n-gram rows (sip.md §3) read straight from a memory-mapped token-level activation cache ({@code layer.<i>}
 * (N, T, C) in f16 or f32 and {@code mask} (N, T)): x = [h_t; h_{t+1}; ...] for every start t whose window lies inside
 * one sample (never across samples), and only over real tokens unless pad rows are asked for. Only the row index lives
 * in the heap; each batch is gathered from the mapped file, so a cache larger than memory trains.
 */
public final class CachedFeatures implements Features {
    private static final long CHUNK_BYTES = 1L << 28; // mappings of at most 256 MB of whole samples

    private final SafeTensors file;
    private final String tensor;
    private final DType dtype;
    private final int width; // T
    private final int c;
    private final int ngram;
    private final int[] rowSample;
    private final int[] rowStart;
    private final int samplesPerChunk;
    private final ByteBuffer[] chunks;

    private CachedFeatures(SafeTensors file, String tensor, int ngram, int[] rowSample, int[] rowStart) {
        this.file = file;
        this.tensor = tensor;
        SafeTensors.Info info = file.info(tensor);
        this.dtype = info.dtype();
        if (dtype != DType.F16 && dtype != DType.F32) {
            throw InvalidInputException.at(file.path(), "tensor '" + tensor + "'", "is " + dtype + "; token caches are f16 or f32");
        }
        long[] shape = info.shape();
        this.width = (int) shape[1];
        this.c = (int) shape[2];
        this.ngram = ngram;
        this.rowSample = rowSample;
        this.rowStart = rowStart;
        long sampleBytes = (long) width * c * dtype.bytes;
        this.samplesPerChunk = (int) Math.max(1, CHUNK_BYTES / sampleBytes);
        this.chunks = new ByteBuffer[(int) ((shape[0] + samplesPerChunk - 1) / samplesPerChunk)];
    }

    /**
     * The n-gram rows of {@code layer}. A row starts at t with t + n - 1 < the sample's real length, or (with
     * {@code includePadRows}, for parity with the original code) at any t <= T - n.
     */
    public static CachedFeatures ngram(SafeTensors file, int layer, int ngram, boolean includePadRows) {
        String name = "layer." + layer;
        if (!file.contains(name)) {
            throw InvalidInputException.at(file.path(), "no tensor '" + name + "' in the cache");
        }
        long[] shape = file.info(name).shape();
        if (shape.length != 3) {
            throw InvalidInputException.at(file.path(), "tensor '" + name + "'", "is pooled " + Arrays.toString(shape)
                    + "; n-gram inputs need a token-level cache (gather with --pool none)");
        }
        int n = (int) shape[0];
        int t = (int) shape[1];
        int[] lengths = lengths(file, n, t);
        int total = 0;
        for (int len : lengths) {
            total += Math.max(0, (includePadRows ? t : len) - ngram + 1);
        }
        int[] sample = new int[total];
        int[] start = new int[total];
        for (int i = 0, r = 0; i < n; i++) {
            int rows = Math.max(0, (includePadRows ? t : lengths[i]) - ngram + 1);
            for (int s = 0; s < rows; s++, r++) {
                sample[r] = i;
                start[r] = s;
            }
        }
        return new CachedFeatures(file, name, ngram, sample, start);
    }

    /** Real-token counts per sample, from the mask (rows start at their first token). */
    static int[] lengths(SafeTensors file, int n, int t) {
        if (!file.contains("mask")) {
            throw InvalidInputException.at(file.path(), "token-level cache without a 'mask' tensor");
        }
        ByteBuffer mask = file.raw("mask");
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            int len = 0;
            for (int j = 0; j < t; j++) {
                len += mask.get(i * t + j) != 0 ? 1 : 0;
            }
            out[i] = len;
        }
        return out;
    }

    /** The mean over real tokens of every sample of a token-level layer, streamed: (N, C) in the heap. */
    public static float[][] meanPooled(SafeTensors file, int layer) {
        String name = "layer." + layer;
        long[] shape = file.info(name).shape();
        int n = (int) shape[0];
        int t = (int) shape[1];
        int[] lengths = lengths(file, n, t);
        CachedFeatures all = new CachedFeatures(file, name, 1, new int[0], new int[0]);
        float[][] out = new float[n][all.c];
        for (int i = 0; i < n; i++) {
            for (int p = 0; p < lengths[i]; p++) {
                all.addPosition(i, p, out[i], 0);
            }
            for (int j = 0; j < all.c; j++) {
                out[i][j] /= Math.max(1, lengths[i]);
            }
        }
        return out;
    }

    @Override
    public int rows() {
        return rowSample.length;
    }

    @Override
    public int dim() {
        return ngram * c;
    }

    /** The sample each row comes from. */
    public int sampleOf(int row) {
        return rowSample[row];
    }

    @Override
    public NDArray batch(NDManager scope, int[] idx) {
        int d = dim();
        float[] out = new float[idx.length * d];
        for (int i = 0; i < idx.length; i++) {
            int r = idx[i];
            for (int g = 0; g < ngram; g++) {
                addPosition(rowSample[r], rowStart[r] + g, out, i * d + g * c);
            }
        }
        return scope.create(out, new Shape(idx.length, d));
    }

    /** Adds the C values of (sample, position) into out[at..]. */
    private void addPosition(int sample, int position, float[] out, int at) {
        int chunk = sample / samplesPerChunk;
        ByteBuffer b = chunks[chunk];
        if (b == null) {
            long sampleBytes = (long) width * c * dtype.bytes;
            long first = (long) chunk * samplesPerChunk;
            long count = Math.min(samplesPerChunk, file.info(tensor).shape()[0] - first);
            b = chunks[chunk] = file.rawRange(tensor, first * sampleBytes, count * sampleBytes);
        }
        int offset = (int) (((long) (sample - (long) chunk * samplesPerChunk) * width + position) * c * dtype.bytes);
        boolean finite = true;
        if (dtype == DType.F16) {
            for (int j = 0; j < c; j++) {
                float v = DType.halfToFloat(b.getShort(offset + 2 * j));
                finite &= Float.isFinite(v);
                out[at + j] += v;
            }
        } else {
            for (int j = 0; j < c; j++) {
                float v = b.getFloat(offset + 4 * j);
                finite &= Float.isFinite(v);
                out[at + j] += v;
            }
        }
        if (!finite) { // the rows are read straight from the mapped file, past the reader's checks
            throw new NumericalFailureException(file.path() + ": tensor '" + tensor + "', sample " + sample + ", token " + position
                    + ": not a finite number (NaN or infinity); the cache is damaged or the model overflowed (gather again, in f32)");
        }
    }
}
