package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.testing.CliRun;

class GeometryCommandTest {
    @TempDir
    Path dir;

    @Test
    void cubeCornersAreIsotropicAndEveryKeyIsThere() throws IOException {
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            csv.append((i & 1) == 1 ? 1 : -1).append(',').append((i & 2) == 2 ? 1 : -1).append(',').append((i & 4) == 4 ? 1 : -1).append('\n');
        }
        Path f = Files.writeString(dir.resolve("cube.csv"), csv);
        CliRun r = CliRun.of("geometry", "--input", f.toString(), "--json", "--zeta", "0");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode res = new ObjectMapper().readTree(r.out()).get("results").get(0);
        for (String key : List.of("isoscore", "isoscore_star", "cosreg", "mean_cosine", "twonn", "mle", "varex", "notes")) {
            assertThat(res.has(key)).as(key).isTrue();
        }
        assertThat(res.get("isoscore").asDouble()).isCloseTo(1, within(1e-9));
        assertThat(res.get("isoscore_star").asDouble()).as("zeta 0 is IsoScore").isCloseTo(1, within(1e-9));
        assertThat(res.get("mean_cosine").asDouble()).as("corners cancel out").isCloseTo(-1.0 / 7, within(1e-12));
        assertThat(res.get("twonn").asDouble()).as("a lattice: r1 = r2 everywhere, so mu = 1 and TwoNN is 0 (geometry.md §8)").isZero();
        // issue 14: --out also writes the JSON with provenance, the tidy table and a page that says what produced it
        Path out = dir.resolve("geo");
        CliRun w = CliRun.of("geometry", "--input", f.toString(), "--zeta", "0", "--out", out.toString(), "--quiet");
        assertThat(w.exitCode()).as(w.err()).isZero();
        assertThat(new ObjectMapper().readTree(out.resolve("geometry.json").toFile()).get("provenance").get("inputs").get(0)
                .get("sha256").asText()).hasSize(64);
        List<String> csvRows = Files.readAllLines(out.resolve("results.csv"));
        assertThat(csvRows.get(0)).isEqualTo(tracelens.results.TidyCsv.HEADER);
        assertThat(csvRows).contains("cube.csv,points,,mean_cosine," + res.get("mean_cosine").asDouble() + ",,");
        assertThat(Files.readString(out.resolve("geometry.html"))).contains("vegaEmbed", "Provenance: geometry", "cube.csv");
    }

    @Test
    void aSafetensorsFileStreamsToTheSameNumbersAsTheCsv() throws IOException {
        java.util.Random rnd = new java.util.Random(4);
        int m = 300;
        int n = 6;
        float[] v = new float[m * n];
        StringBuilder csv = new StringBuilder();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                v[i * n + j] = (float) (rnd.nextGaussian() * (j + 1) + 0.3);
                csv.append(j == 0 ? "" : ",").append((double) v[i * n + j]); // exactly the f32 value
            }
            csv.append('\n');
        }
        Path st = dir.resolve("acts.safetensors");
        tracelens.model.SafeTensorsWriter.writeAll(st, java.util.Map.of("layer.3", new long[] {m, n}), java.util.Map.of("layer.3", v),
                java.util.Map.of());
        Path f = Files.writeString(dir.resolve("p.csv"), csv);
        JsonNode a = new ObjectMapper().readTree(CliRun.of("geometry", "--input", st.toString(), "--json").out()).get("results").get(0);
        JsonNode b = new ObjectMapper().readTree(CliRun.of("geometry", "--input", f.toString(), "--json").out()).get("results").get(0);
        assertThat(a.get("tensor").asText()).isEqualTo("layer.3");
        for (String key : List.of("isoscore", "isoscore_star", "cosreg", "mean_cosine", "twonn", "mle", "varex", "partition_score")) {
            assertThat(a.get(key).asDouble()).as(key).isCloseTo(b.get(key).asDouble(), within(1e-9));
        }
        JsonNode sampled = new ObjectMapper().readTree(CliRun.of("geometry", "--input", st.toString(), "--json", "--max-id-points", "100")
                .out()).get("results").get(0);
        assertThat(sampled.get("isoscore").asDouble()).isEqualTo(a.get("isoscore").asDouble());
        assertThat(sampled.get("notes").toString()).contains("sample of 100 of 300 points");
        JsonNode skipped = new ObjectMapper().readTree(CliRun.of("geometry", "--input", st.toString(), "--json", "--max-id-points", "0")
                .out()).get("results").get(0);
        assertThat(skipped.get("twonn").isNull()).isTrue();
    }

    @Test
    void badInputsNameRowAndColumn() throws IOException {
        Path text = Files.writeString(dir.resolve("t.csv"), "1,2\n3,abc\n");
        CliRun r = CliRun.of("geometry", "--input", text.toString());
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("t.csv", "row 2, column 2", "'abc' is not a number");
        Path ragged = Files.writeString(dir.resolve("r.csv"), "1,2\n3\n");
        assertThat(CliRun.of("geometry", "--input", ragged.toString()).err()).contains("row 2", "has 1 values");
        Path ok = Files.writeString(dir.resolve("ok.csv"), "1,2\n3,4\n5,7\n");
        Path c0 = Files.writeString(dir.resolve("c0.csv"), "1,0,0\n0,1,0\n0,0,1\n");
        CliRun mismatch = CliRun.of("geometry", "--input", ok.toString(), "--c0", c0.toString());
        assertThat(mismatch.exitCode()).isEqualTo(2);
        assertThat(mismatch.err()).contains("C0 is 3 x 3", "2 dimensions");
        assertThat(CliRun.of("geometry", "--input", ok.toString(), "--zeta", "1.5").err()).contains("--zeta must be in [0, 1]");
        Path empty = Files.writeString(dir.resolve("e.csv"), "\n");
        assertThat(CliRun.of("geometry", "--input", empty.toString()).err()).contains("no points");
    }

    /** Issue 15: a valid F64 safetensors file crashed the JVM (SIGSEGV); it must give the F32 file's results. */
    @Test
    void float64PointsGiveTheFloat32Results(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.util.Random r = new java.util.Random(4);
        int n = 60;
        int d = 8;
        java.nio.ByteBuffer f64 = java.nio.ByteBuffer.allocate(n * d * 8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        java.nio.ByteBuffer f32 = java.nio.ByteBuffer.allocate(n * d * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n * d; i++) {
            float v = (float) r.nextGaussian(); // representable in both, so both files hold the same points
            f64.putDouble(v);
            f32.putFloat(v);
        }
        java.nio.file.Path a = write(tmp.resolve("a.safetensors"), "F64", n, d, f64.array());
        java.nio.file.Path b = write(tmp.resolve("b.safetensors"), "F32", n, d, f32.array());
        CliRun ra = CliRun.of("geometry", "--input", a.toString(), "--tensor", "points", "--json");
        assertThat(ra.exitCode()).as(ra.err()).isZero();
        JsonNode x = new ObjectMapper().readTree(ra.out()).get("results").get(0);
        JsonNode y = new ObjectMapper().readTree(CliRun.of("geometry", "--input", b.toString(), "--tensor", "points", "--json").out())
                .get("results").get(0);
        for (String key : List.of("isoscore", "isoscore_star", "mean_cosine", "twonn")) {
            assertThat(x.get(key).asDouble()).as(key).isCloseTo(y.get(key).asDouble(), within(1e-6));
        }
    }

    static java.nio.file.Path write(java.nio.file.Path file, String dtype, int n, int d, byte[] data) throws Exception {
        String header = "{\"points\":{\"dtype\":\"" + dtype + "\",\"shape\":[" + n + "," + d + "],\"data_offsets\":[0," + data.length + "]}}";
        while (header.length() % 8 != 0) {
            header += " ";
        }
        java.nio.ByteBuffer len = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(header.length());
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(len.array());
        out.write(header.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        out.write(data);
        java.nio.file.Files.write(file, out.toByteArray());
        return file;
    }
}
