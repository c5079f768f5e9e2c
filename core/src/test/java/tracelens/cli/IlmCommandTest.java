package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.activations.ActivationExtractor;
import tracelens.model.DType;
import tracelens.model.SafeTensorsWriter;
import tracelens.testing.CliRun;
import tracelens.testing.SharedFiles;

class IlmCommandTest {
    @TempDir
    Path dir;

    /** A pooled activation file of {@code layers} blocks (plus embeddings) where only block {@code carrier} holds the label. */
    static Path syntheticFile(Path file, int n, int c, int layers, int carrier, int classes, long seed) {
        Random r = new Random(seed);
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(classes);
        }
        List<SafeTensorsWriter.Spec> specs = new ArrayList<>();
        for (int l = 0; l <= layers; l++) {
            specs.add(new SafeTensorsWriter.Spec("layer." + l, DType.F32, new long[] {n, c}));
        }
        specs.add(new SafeTensorsWriter.Spec("labels", DType.I64, new long[] {n}));
        try (SafeTensorsWriter w = SafeTensorsWriter.create(file, specs, Map.of("format", ActivationExtractor.FORMAT,
                "model", "synthetic", "num_layers", String.valueOf(layers)))) {
            for (int l = 0; l <= layers; l++) {
                float[] v = new float[n * c];
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < c; j++) {
                        v[i * c + j] = (float) r.nextGaussian();
                    }
                    if (l == carrier + 1) { // hidden state carrier + 1 is block `carrier`'s output
                        for (int j = 0; j < 3; j++) {
                            v[i * c + j] += labels[i] == j % classes ? 3f : -1f;
                        }
                    }
                }
                w.writeFloats("layer." + l, 0, v);
            }
            w.writeLongs("labels", 0, labels);
            w.commit();
        }
        return file;
    }

    @Test
    void picksThePlantedLayerAndWritesTheOriginalSchema() throws Exception {
        Path acts = syntheticFile(dir.resolve("acts.safetensors"), 300, 32, 6, 4, 2, 1);
        Path out = dir.resolve("out");
        CliRun r = CliRun.of("ilm", "--activations", acts.toString(), "--n-samples", "200", "--out", out.toString(), "--json",
                "--dataset", "synthetic", "--llm-type", "toy");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode sel = new ObjectMapper().readTree(out.resolve("selection.json").toFile());
        List<String> keys = new ArrayList<>();
        for (Iterator<String> it = sel.fieldNames(); it.hasNext(); ) {
            keys.add(it.next());
        }
        assertThat(keys).containsExactly("task", "dataset", "slm_type", "llm_type", "n_samples", "n_pcs", "top_pc", "effects",
                "best_llm_layer", "seed");
        assertThat(sel.get("effects")).hasSize(6);
        assertThat(sel.get("best_llm_layer").asInt()).isEqualTo(4);
        assertThat(sel.get("seed").asLong()).isEqualTo(2023);
        assertThat(sel.get("dataset").asText()).isEqualTo("synthetic");
        for (JsonNode e : sel.get("effects")) {
            assertThat(e.asDouble() * 200 - Math.rint(e.asDouble() * 200)).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-9));
        }
        JsonNode full = new ObjectMapper().readTree(r.out());
        assertThat(full.get("indices")).hasSize(200);
        assertThat(full.get("provenance").get("inputs").get(0).get("sha256").asText()).hasSize(64);
        assertThat(Files.readString(out.resolve("ilm.html"))).contains("vegaEmbed", "Provenance: ilm", "sha256 ");
        java.util.List<String> csv = Files.readAllLines(out.resolve("results.csv")); // issue 14: the tidy table
        assertThat(csv.get(0)).isEqualTo(tracelens.results.TidyCsv.HEADER);
        assertThat(csv.stream().filter(l -> l.contains(",,ilm_effect,")).count()).isEqualTo(sel.get("effects").size());

        // the same indices from a file give the same effects; the same seed gives the same draw
        Path idx = Files.writeString(dir.resolve("idx.txt"), full.get("indices").toString());
        CliRun again = CliRun.of("ilm", "--activations", acts.toString(), "--indices", idx.toString(), "--json");
        assertThat(new ObjectMapper().readTree(again.out()).get("selection").get("effects")).isEqualTo(sel.get("effects"));
    }

    @Test
    void runsADecoderOnATaskFile() throws Exception {
        List<String> lines = new ArrayList<>(List.of("text\tlabel"));
        Random r = new Random(2);
        for (int i = 0; i < 40; i++) {
            boolean pos = i % 2 == 0;
            lines.add((pos ? "the happy girl smiled at the sun" : "the sad boy cried in the dark") + " " + r.nextInt(50) + "\t" + (pos ? 1 : 0));
        }
        Path data = Files.write(dir.resolve("toy.tsv"), lines);
        CliRun run = CliRun.of("ilm", "--model", SharedFiles.stories260K().toString(), "--data", data.toString(), "--n-pcs", "8",
                "--top-pc", "2", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode sel = new ObjectMapper().readTree(run.out()).get("selection");
        assertThat(sel.get("effects")).hasSize(5); // stories260K has 5 blocks
        assertThat(sel.get("llm_type").asText()).isEqualTo("stories260K");
        assertThat(sel.get("dataset").asText()).isEqualTo("toy");
    }

    @Test
    void badInputIsRefusedWithExitCode2() throws Exception {
        Path acts = syntheticFile(dir.resolve("a.safetensors"), 50, 8, 3, 1, 2, 3);
        assertThat(CliRun.of("ilm", "--activations", acts.toString(), "--top-pc", "20").err()).contains("--top-pc must be in 1..16");
        CliRun few = CliRun.of("ilm", "--activations", acts.toString(), "--n-samples", "12");
        assertThat(few.exitCode()).isEqualTo(2);
        assertThat(few.err()).contains("--n-pcs 16 exceeds the 12 samples");
        assertThat(CliRun.of("ilm", "--activations", acts.toString(), "--n-samples", "8").err()).contains("only 8 rows: ILM needs at least 10");
        Path one = syntheticFile(dir.resolve("one.safetensors"), 50, 8, 3, 1, 1, 3);
        CliRun single = CliRun.of("ilm", "--activations", one.toString());
        assertThat(single.exitCode()).isEqualTo(2);
        assertThat(single.err()).contains("single class");
        assertThat(CliRun.of("ilm", "--activations", acts.toString(), "--model", "minilm", "--data", "sst2").err())
                .contains("either --activations FILE, or --model M with --data D");
        Path idx = Files.writeString(dir.resolve("bad.txt"), "1 2 99");
        CliRun badIdx = CliRun.of("ilm", "--activations", acts.toString(), "--indices", idx.toString());
        assertThat(badIdx.exitCode()).isEqualTo(2);
        assertThat(badIdx.err()).contains("bad.txt").contains("index 99 is outside 0..49");
    }
}
