package tracelens.activations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.corpus.TextColumns;
import tracelens.corpus.TextInput;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.model.SafeTensors;
import tracelens.progress.Progress;
import tracelens.testing.CliRun;
import tracelens.testing.Sentences;

class ActivationExtractorTest {
    @TempDir
    static Path dir;
    static HiddenStateModel model;
    static Path input;
    static List<String> texts;

    @BeforeAll
    static void setUp() throws IOException {
        model = ModelLoader.load("minilm");
        texts = Sentences.mixed(13, 40, 3);
        input = Files.write(dir.resolve("texts.txt"), texts);
    }

    @AfterAll
    static void tearDown() {
        model.close();
    }

    static Path extract(String name, Pooling pool, int batch, DType dtype, int... layers) {
        Path out = dir.resolve(name);
        ActivationExtractor.extract(model, TextInput.of(input, TextColumns.DEFAULT),
                new ActivationExtractor.Options(layers, pool, 128, batch, dtype), out, Map.of(), Progress.NONE);
        return out;
    }

    @Test
    void rowsKeepInputOrderAndDoNotDependOnBatching() {
        Path one = extract("b1.safetensors", Pooling.MEAN, 1, DType.F32, 0, 6);
        Path five = extract("b5.safetensors", Pooling.MEAN, 5, DType.F32, 0, 6);
        try (SafeTensors a = SafeTensors.open(one); SafeTensors b = SafeTensors.open(five)) {
            assertThat(a.info("layer.6").shape()).containsExactly(13, 384);
            float[] x = a.floats("layer.6");
            float[] y = b.floats("layer.6");
            for (int i = 0; i < x.length; i++) {
                assertThat(y[i]).as("element %d (row %d)", i, i / 384).isCloseTo(x[i], within(2e-5f));
            }
            assertThat(a.metadata()).containsEntry("format", ActivationExtractor.FORMAT).containsEntry("layers", "[0, 6]")
                    .containsEntry("num_texts", "13").containsEntry("pool", "mean");
        }
    }

    @Test
    void pooledModesAgreeWithTokenLevelStates() {
        Path none = extract("none.safetensors", Pooling.NONE, 4, DType.F32, 3);
        Path mean = extract("mean.safetensors", Pooling.MEAN, 4, DType.F32, 3);
        Path cls = extract("cls.safetensors", Pooling.CLS, 4, DType.F32, 3);
        Path last = extract("last.safetensors", Pooling.LAST, 4, DType.F32, 3);
        try (SafeTensors t = SafeTensors.open(none); SafeTensors m = SafeTensors.open(mean);
             SafeTensors c = SafeTensors.open(cls); SafeTensors l = SafeTensors.open(last)) {
            long[] shape = t.info("layer.3").shape();
            int n = (int) shape[0], w = (int) shape[1], d = (int) shape[2];
            float[] h = t.floats("layer.3");
            long[] mask = t.longs("mask");
            long[] ids = t.longs("input_ids");
            float[] mv = m.floats("layer.3"), cv = c.floats("layer.3"), lv = l.floats("layer.3");
            for (int i = 0; i < n; i++) {
                int len = 0;
                while (len < w && mask[i * w + len] == 1) {
                    len++;
                }
                assertThat(len).as("row %d length", i).isEqualTo(model.tokenizer().encode(texts.get(i), 128).length());
                assertThat(ids[i * w]).as("row %d starts with [CLS]", i).isEqualTo(101);
                assertThat(ids[i * w + len - 1]).as("row %d ends with [SEP]", i).isEqualTo(102);
                for (int j = 0; j < d; j++) {
                    double sum = 0;
                    for (int p = 0; p < len; p++) {
                        sum += h[(i * w + p) * d + j];
                    }
                    assertThat(mv[i * d + j]).as("mean row %d dim %d", i, j).isCloseTo((float) (sum / len), within(1e-4f));
                    assertThat(cv[i * d + j]).isCloseTo(h[(i * w) * d + j], within(1e-5f));
                    assertThat(lv[i * d + j]).isCloseTo(h[(i * w + len - 1) * d + j], within(1e-5f));
                }
                for (int p = len; p < w; p++) {
                    assertThat(h[(i * w + p) * d]).as("padding row %d position %d is zero", i, p).isZero();
                }
            }
        }
    }

    @Test
    void f16OutputIsTheRoundedF32Output() {
        Path f32 = extract("f32.safetensors", Pooling.MEAN, 8, DType.F32, 6);
        Path f16 = extract("f16.safetensors", Pooling.MEAN, 8, DType.F16, 6);
        try (SafeTensors a = SafeTensors.open(f32); SafeTensors b = SafeTensors.open(f16)) {
            assertThat(b.info("layer.6").dtype()).isEqualTo(DType.F16);
            float[] x = a.floats("layer.6");
            float[] y = b.floats("layer.6");
            for (int i = 0; i < x.length; i++) {
                assertThat(y[i]).isEqualTo(DType.halfToFloat(DType.floatToHalf(x[i])), within(1e-6f));
            }
        }
    }

    @Test
    void sourcesBecomeLabelsWithNamesInFirstAppearanceOrder() throws IOException {
        Path jsonl = Files.writeString(dir.resolve("src.jsonl"), """
                {"text": "We hold these truths", "source": "jefferson"}
                {"text": "Four score and seven years ago", "source": "lincoln"}
                {"text": "Life, liberty", "source": "jefferson"}
                {"text": "A house divided", "source": "lincoln"}
                {"text": "Ask not", "source": "kennedy"}
                """);
        Path out = dir.resolve("src.safetensors");
        CliRun r = CliRun.of("activations", "--input", jsonl.toString(), "--out", out.toString(), "--layers", "-1", "--json",
                "--max-length", "5");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertThat(json.get("schemaVersion").asInt()).isEqualTo(1);
        assertThat(json.get("texts").asInt()).isEqualTo(5);
        assertThat(json.get("truncated").asInt()).as("texts over 5 tokens with [CLS] and [SEP]").isEqualTo(2);
        assertThat(r.err()).contains("2 of 5 texts were longer than --max-length 5");
        try (ActivationFile f = ActivationFile.open(out)) {
            assertThat(f.layers()).containsExactly(6);
            assertThat(f.labels()).containsExactly(0, 1, 0, 1, 2);
            assertThat(f.labelNames()).containsExactly("jefferson", "lincoln", "kennedy");
            assertThat(f.pooled(6)).hasNumberOfRows(5);
        }
    }

    /**
     * 100k texts through a JVM whose heap is smaller than the output: only streaming, bounded-memory extraction
     * can finish. Embedding layer only, so the model cost stays small.
     */
    @Test
    void aHundredThousandLinesStreamThroughASmallHeap() throws Exception {
        Path big = dir.resolve("big.txt");
        try (var w = Files.newBufferedWriter(big)) {
            for (int i = 0; i < 100_000; i++) {
                w.write("line number " + i + " of the union\n");
            }
        }
        Path out = dir.resolve("big.safetensors");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                "-Dai.djl.offline=true", "-DENGINE_CACHE_DIR=" + System.getProperty("ENGINE_CACHE_DIR"),
                "-Dai.djl.pytorch.num_threads=1", "-Dtracelens.cache=" + System.getProperty("tracelens.cache"),
                "tracelens.cli.Main", "activations", "--input", big.toString(), "--out", out.toString(),
                "--layers", "0", "--batch-size", "256", "--quiet").redirectErrorStream(true);
        Process p = pb.start();
        String log = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(log).isZero();
        try (SafeTensors st = SafeTensors.open(out)) {
            assertThat(st.info("layer.0").shape()).containsExactly(100_000, 384);
            assertThat(Files.size(out)).as("output larger than the heap").isGreaterThan(128L << 20);
        }
    }
}
