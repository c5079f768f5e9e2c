package tracelens.activations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.corpus.TextColumns;
import tracelens.corpus.TextInput;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.model.SafeTensors;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;
import tracelens.progress.Progress;
import tracelens.testing.Sentences;

/** An extraction killed mid-way continues where it stopped: nothing lost, nothing computed twice. */
public class ResumeTest {
    @TempDir
    Path dir;

    /** Counts the texts the model actually runs on. */
    public record Counting(HiddenStateModel inner, AtomicInteger rows) implements HiddenStateModel {
        public String id() { return inner.id(); }
        public String architecture() { return inner.architecture(); }
        public int numLayers() { return inner.numLayers(); }
        public int hiddenSize() { return inner.hiddenSize(); }
        public int maxPositions() { return inner.maxPositions(); }
        public TextTokenizer tokenizer() { return inner.tokenizer(); }
        public boolean padLeft() { return inner.padLeft(); }
        public void close() { inner.close(); }
        public java.util.List<tracelens.nn.Site> sites() { return inner.sites(); }
        public String hiddenStateSite(int index) { return inner.hiddenStateSite(index); }
        public tracelens.nn.Parameters parameters() { return inner.parameters(); }
        public void forward(NDManager scope, TokenBatch batch, tracelens.nn.Hooks hooks) {
            rows.addAndGet(batch.batch());
            inner.forward(scope, batch, hooks);
        }
    }

    /**
     * A kill as the program sees it: not an exception it handles (those discard the work file) but an abrupt stop. An
     * Error passes every catch of the extraction, as a kill passes its cleanup.
     */
    public static final class SimulatedKill extends Error {
        SimulatedKill() {
            super("killed");
        }
    }

    /** Simulates a kill: stops once {@code limit} texts of the extraction pass are done. */
    public static Progress killAfter(int limit) {
        return failAfter(limit, SimulatedKill::new);
    }

    /** Throws {@code failure} once {@code limit} texts of the extraction pass are done. */
    public static Progress failAfter(int limit, java.util.function.Supplier<? extends Throwable> failure) {
        return new Progress() {
            String task = "";
            long done;

            public void start(String t, long total) {
                task = t;
                done = 0;
            }

            public void advance(long units) {
                done += units;
                if (task.startsWith("extracting") && done >= limit) {
                    Throwable t = failure.get();
                    if (t instanceof RuntimeException r) {
                        throw r;
                    }
                    throw (Error) t;
                }
            }

            public void end() {}
        };
    }

    @Test
    void anInterruptedRunContinuesAfterItsLastFinishedChunk() throws IOException {
        Path input = Files.write(dir.resolve("t.txt"), Sentences.mixed(100, 20, 9));
        var opts = new ActivationExtractor.Options(new int[] {0, 3}, Pooling.MEAN, 64, 2, DType.F32); // chunks of 32 texts
        Path out = dir.resolve("a.safetensors");
        try (HiddenStateModel base = ModelLoader.load("minilm")) {
            AtomicInteger rows = new AtomicInteger();
            Counting m = new Counting(base, rows);
            TextInput in = TextInput.of(input, TextColumns.DEFAULT);
            assertThatThrownBy(() -> ActivationExtractor.extract(m, in, opts, out, Map.of(), killAfter(70), true)).hasMessage("killed");
            assertThat(out).doesNotExist();
            assertThat(dir.resolve("a.safetensors.progress")).hasContent("2");

            rows.set(0);
            ActivationExtractor.extract(m, in, opts, out, Map.of(), Progress.NONE, true);
            assertThat(rows.get()).as("only the texts after the two finished chunks").isEqualTo(100 - 64);
            assertThat(dir.resolve("a.safetensors.partial")).doesNotExist();
            assertThat(dir.resolve("a.safetensors.progress")).doesNotExist();

            Path fresh = dir.resolve("b.safetensors");
            ActivationExtractor.extract(base, in, opts, fresh, Map.of(), Progress.NONE, false);
            try (SafeTensors a = SafeTensors.open(out); SafeTensors b = SafeTensors.open(fresh)) {
                for (String t : new String[] {"layer.0", "layer.3"}) {
                    assertThat(a.floats(t)).as(t).containsExactly(b.floats(t));
                }
            }
        }
    }
}
