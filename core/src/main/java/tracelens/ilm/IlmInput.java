package tracelens.ilm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.SortedMap;
import tracelens.activations.ActivationFile;
import tracelens.activations.Pooling;
import tracelens.error.InvalidInputException;
import tracelens.model.HiddenStateModel;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.progress.Progress;
import tracelens.random.Permutation;
import tracelens.runtime.DjlRuntime;

/**
 * What ILM runs on: the masked-mean pooled output of every block (hidden states 1..L; the embeddings are skipped, and
 * for decoders the last one is taken after the final norm, as Hugging Face's {@code hidden_states[L + 1]}) for the
 * sampled rows, and their labels.
 */
public record IlmInput(List<float[][]> layers, int[] labels, int[] indices, int available) {
    /**
     * The rows to use: all, in order, when there are no more than {@code n}; else {@code n} distinct indices drawn
     * uniformly with {@code seed} (java.util.Random; numpy's PCG64 draw of the original cannot be reproduced cheaply,
     * so the indices are recorded, and {@code --indices} takes an exact list).
     */
    public static int[] sample(int available, int n, long seed) {
        if (available <= n) {
            int[] all = new int[available];
            Arrays.setAll(all, i -> i);
            return all;
        }
        return Arrays.copyOf(Permutation.of(available, new Random(seed)), n);
    }

    /** Indices from a file: integers separated by whitespace or commas (or a JSON array), each below {@code available}. */
    public static int[] readIndices(Path file, int available) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String[] parts = text.replace('[', ' ').replace(']', ' ').trim().split("[\\s,]+");
        List<Integer> out = new ArrayList<>();
        for (String p : parts) {
            if (p.isEmpty()) {
                continue;
            }
            int v;
            try {
                v = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw InvalidInputException.at(file, "'" + p + "' is not an index");
            }
            if (v < 0 || v >= available) {
                throw InvalidInputException.at(file, "index " + v + " is outside 0.." + (available - 1));
            }
            out.add(v);
        }
        if (out.size() != out.stream().distinct().count()) {
            throw InvalidInputException.at(file, "an index appears twice");
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Rows {@code indices} of a pooled activation file with labels; every hidden state 1..num_layers must be there. */
    public static IlmInput fromActivations(Path path, int[] indices) {
        try (ActivationFile f = ActivationFile.open(path)) {
            if (!f.hasLabels()) {
                throw InvalidInputException.at(path, "has no labels tensor: extract from an input with a label (or source) column");
            }
            int[] all = f.labels();
            String nl = f.metadata("num_layers");
            List<Integer> stored = f.layers();
            int layers = nl != null ? Integer.parseInt(nl) : stored.isEmpty() ? 0 : stored.get(stored.size() - 1);
            List<float[][]> xs = new ArrayList<>();
            for (int l = 1; l <= layers; l++) {
                if (!stored.contains(l)) {
                    throw InvalidInputException.at(path, "hidden state " + l + " is missing: ILM needs every block's output"
                            + " (extract with --layers all)");
                }
                float[][] rows = f.pooled(l); // non-finite values are refused by the reader, naming tensor and element
                float[][] picked = new float[indices.length][];
                for (int i = 0; i < indices.length; i++) {
                    picked[i] = rows[indices[i]];
                }
                xs.add(picked);
            }
            int[] y = new int[indices.length];
            for (int i = 0; i < indices.length; i++) {
                y[i] = all[indices[i]];
            }
            return new IlmInput(xs, y, indices, all.length);
        }
    }

    /** Runs {@code model} on {@code texts} (batches of {@code batchSize}, truncated at {@code maxLength}) and mean-pools. */
    public static IlmInput fromModel(HiddenStateModel model, List<String> texts, int[] labels, int[] indices, int maxLength,
            int batchSize, Progress progress) {
        int layers = model.numLayers();
        int c = model.hiddenSize();
        int[] wanted = new int[layers];
        Arrays.setAll(wanted, i -> i + 1);
        List<float[][]> xs = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            xs.add(new float[indices.length][]);
        }
        TextTokenizer tok = model.tokenizer();
        progress.start("running " + model.id(), indices.length);
        try (NDManager root = DjlRuntime.manager()) {
            for (int from = 0; from < indices.length; from += batchSize) {
                int to = Math.min(indices.length, from + batchSize);
                List<TextTokenizer.Tokens> rows = new ArrayList<>();
                for (int i = from; i < to; i++) {
                    rows.add(tok.encode(texts.get(indices[i]), maxLength));
                }
                // padding comes from the tokenizer's pad id, or the row is masked out anyway; never another layer
                TokenBatch batch = TokenBatch.of(rows, tok.padId(), model.padLeft());
                try (NDManager scope = root.newSubManager()) {
                    SortedMap<Integer, NDArray> hidden = model.hiddenStates(scope, batch, wanted);
                    NDArray w = scope.create(Pooling.MEAN.weights(batch), new Shape(batch.batch(), 1, batch.width()));
                    for (int l = 1; l <= layers; l++) {
                        float[] pooled = w.matMul(hidden.get(l)).toFloatArray();
                        for (int i = 0; i < to - from; i++) {
                            xs.get(l - 1)[from + i] = check(Arrays.copyOfRange(pooled, i * c, (i + 1) * c), l, indices[from + i]);
                        }
                    }
                }
                progress.advance(to - from);
            }
        } finally {
            progress.end();
        }
        int[] y = new int[indices.length];
        for (int i = 0; i < indices.length; i++) {
            y[i] = labels[indices[i]];
        }
        return new IlmInput(xs, y, indices, texts.size());
    }

    /** The model's own states: a non-finite one is a numerical failure of the model, not the user's input. */
    private static float[] check(float[] row, int layer, int index) {
        for (float v : row) {
            if (!Float.isFinite(v)) {
                throw new tracelens.error.NumericalFailureException("hidden state " + layer + " of row " + index + " is not finite (" + v + ")");
            }
        }
        return row;
    }
}
