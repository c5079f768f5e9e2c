package tracelens.activations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.corpus.TextColumns;
import tracelens.corpus.TextInput;
import tracelens.error.InvalidInputException;
import tracelens.io.AtomicFile;
import tracelens.io.AtomicFolder;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.model.SafeTensorsWriter;
import tracelens.progress.Progress;
import tracelens.testing.Sentences;

/**
 * Issue 15 outcome 5: work files are cleaned on any exit but a kill, and a rerun removes the ones killed runs left
 * (hidden full-size ".NAME.<pid>-*.partial" files, a resumable run's NAME.partial and NAME.progress).
 */
class WorkFilesTest {
    @TempDir
    Path dir;

    private static final ActivationExtractor.Options OPTS =
            new ActivationExtractor.Options(new int[] {0, 3}, Pooling.MEAN, 64, 2, DType.F32); // chunks of 32 texts

    /** Fails like an error (disk full, bad input) once {@code limit} texts are done, unlike ResumeTest's kill. */
    private static Progress failAfter(int limit) {
        return ResumeTest.failAfter(limit, () -> new java.io.UncheckedIOException(new IOException("No space left on device")));
    }

    @Test
    void aResumableRunThatFailsLeavesNoWorkFiles() throws IOException {
        Path input = Files.write(dir.resolve("t.txt"), Sentences.mixed(80, 20, 3));
        Path out = dir.resolve("a.safetensors");
        try (HiddenStateModel m = ModelLoader.load("minilm")) {
            TextInput in = TextInput.of(input, TextColumns.DEFAULT);
            assertThatThrownBy(() -> ActivationExtractor.extract(m, in, OPTS, out, Map.of(), failAfter(40), true))
                    .hasMessageContaining("No space left");
            assertThat(listing()).containsExactly("t.txt");

            assertThatThrownBy(() -> ActivationExtractor.extract(m, in, OPTS, out, Map.of(), failAfter(40), false))
                    .hasMessageContaining("No space left");
            assertThat(listing()).as("the non-resumable work file too").containsExactly("t.txt");
        }
    }

    @Test
    void aRerunRemovesWhatKilledRunsLeft() throws Exception {
        Path input = Files.write(dir.resolve("t.txt"), Sentences.mixed(40, 20, 5));
        Path out = dir.resolve("a.safetensors");
        long dead = deadPid();
        long alive = ProcessHandle.current().pid();
        Path deadPartial = Files.write(dir.resolve(".a.safetensors." + dead + "-x1.partial"), new byte[1000]);
        Path livePartial = Files.write(dir.resolve(".a.safetensors." + alive + "-x2.partial"), new byte[10]);
        Path otherName = Files.write(dir.resolve(".b.safetensors." + dead + "-x3.partial"), new byte[10]);
        Path notOurs = Files.write(dir.resolve(".a.safetensors.notapid.partial"), new byte[10]);
        Files.write(dir.resolve("a.safetensors.partial"), new byte[1000]); // a killed --resume run's
        Files.writeString(dir.resolve("a.safetensors.progress"), "1");
        try (HiddenStateModel m = ModelLoader.load("minilm")) {
            ActivationExtractor.extract(m, TextInput.of(input, TextColumns.DEFAULT), OPTS, out, Map.of(), Progress.NONE, false);
        }
        assertThat(deadPartial).doesNotExist();
        assertThat(dir.resolve("a.safetensors.partial")).doesNotExist();
        assertThat(dir.resolve("a.safetensors.progress")).doesNotExist();
        assertThat(livePartial).as("a running writer's").exists();
        assertThat(otherName).as("another output's").exists();
        assertThat(notOurs).exists();
        assertThat(out).exists();

        Path json = dir.resolve("r.json");
        Path deadJson = Files.write(dir.resolve(".r.json." + dead + "-y.partial"), new byte[10]);
        AtomicFile.writeString(json, "{}");
        assertThat(deadJson).doesNotExist();
        assertThat(json).hasContent("{}");
    }

    @Test
    void aKilledRunsWorkFolderIsRemovedByTheNextWriteOfTheSameFolder() throws Exception {
        Path stale = Files.createDirectories(dir.resolve(".images." + deadPid() + "-dir.partial").resolve("0"));
        Files.write(stale.resolve("000001.png"), new byte[100]);
        AtomicFolder.write(dir.resolve("images"), tmp -> Files.writeString(tmp.resolve("a.txt"), "x"));
        assertThat(dir.resolve("images").resolve("a.txt")).hasContent("x");
        assertThat(listing()).containsExactly("images");
    }

    @Test
    void aResumableWorkFileInUseIsNeitherSharedNorRemoved() {
        Path out = dir.resolve("c.safetensors");
        var spec = List.of(new SafeTensorsWriter.Spec("x", DType.F32, new long[] {4}));
        try (SafeTensorsWriter first = SafeTensorsWriter.resumable(out, spec, Map.of())) {
            assertThatThrownBy(() -> SafeTensorsWriter.resumable(out, spec, Map.of())).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining(out.toString()).hasMessageContaining("another run is writing it");
            SafeTensorsWriter.removeAbandoned(out);
            assertThat(dir.resolve("c.safetensors.partial")).as("held by a live writer").exists();
            first.writeFloats("x", 0, new float[] {1, 2, 3, 4});
            first.commit();
        }
        assertThat(out).exists();
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** The id of a process that has exited. */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        return p.pid();
    }
}
