package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.testing.CliRun;

/** Each bad input: exit code 2, a one-line message naming what is at fault, and no output file left behind. */
class ActivationsBadInputTest {
    @TempDir
    Path dir;

    private CliRun run(String... extra) {
        String[] base = {"activations", "--out", dir.resolve("out.safetensors").toString(), "--quiet"};
        return CliRun.of(Stream.concat(Stream.of(base), Stream.of(extra)).toArray(String[]::new));
    }

    private void assertRejected(CliRun r, String... fragments) throws IOException {
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err().strip().lines().count()).as("one line: %s", r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: ").contains(fragments);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.filter(p -> p.getFileName().toString().contains("out.safetensors"))).as("no output left").isEmpty();
        }
    }

    @Test
    void missingFile() throws IOException {
        assertRejected(run("--input", dir.resolve("absent.txt").toString()), "absent.txt", "file not found");
    }

    @Test
    void unreadableFile() throws IOException {
        Path f = Files.writeString(dir.resolve("locked.txt"), "text\n");
        if (!f.toFile().setReadable(false) || Files.isReadable(f)) {
            Files.delete(f); // running as root: permissions are not enforced; use a folder instead
            f = Files.createDirectory(dir.resolve("locked.txt"));
        }
        assertRejected(run("--input", f.toString()), "locked.txt", "not a readable file");
    }

    @Test
    void emptyInput() throws IOException {
        Path f = Files.writeString(dir.resolve("empty.txt"), "\n\n");
        assertRejected(run("--input", f.toString()), "empty.txt", "no texts found");
    }

    @Test
    void malformedJsonlLine() throws IOException {
        Path f = Files.writeString(dir.resolve("bad.jsonl"), "{\"text\":\"ok\"}\n{\"text\":\"ok\"}\n{\"text\":\n");
        assertRejected(run("--input", f.toString()), "bad.jsonl", "line 3");
    }

    @Test
    void csvWithoutTheNamedColumn() throws IOException {
        Path f = Files.writeString(dir.resolve("a.csv"), "sentence,label\nhello,1\n");
        assertRejected(run("--input", f.toString(), "--text-column", "body"), "a.csv", "no column 'body'");
    }

    @Test
    void unknownModelName() throws IOException {
        Path f = Files.writeString(dir.resolve("a.txt"), "hello\n");
        assertRejected(run("--input", f.toString(), "--model", "gpt-17"), "unknown model 'gpt-17'");
    }

    @Test
    void modelFolderWithoutConfig() throws IOException {
        Path f = Files.writeString(dir.resolve("a.txt"), "hello\n");
        Path model = Files.createDirectory(dir.resolve("model"));
        assertRejected(run("--input", f.toString(), "--model", model.toString()), "config.json is missing");
    }

    /** A BERT folder whose model.safetensors is truncated, declares an oversized header, or points outside itself. */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"truncated", "oversized", "outside"})
    void modelFolderWithCorruptSafetensors(String kind) throws IOException {
        Path f = Files.writeString(dir.resolve("a.txt"), "hello\n");
        Path model = Files.createDirectory(dir.resolve("m"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"bert\",\"vocab_size\":10,\"hidden_size\":4,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":1,\"intermediate_size\":8,\"max_position_embeddings\":8}");
        try (var in = tracelens.model.ModelLoader.resource("/all-minilm-l6-v2-tokenizer.json")) {
            Files.write(model.resolve("tokenizer.json"), in.readAllBytes());
        }
        String json = "{\"embeddings.word_embeddings.weight\":{\"dtype\":\"F32\",\"shape\":[10,4],\"data_offsets\":[0,160]}}";
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + json.length() + 16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        long declared = switch (kind) {
            case "truncated" -> 32767;
            case "oversized" -> Long.MAX_VALUE / 4;
            default -> json.length();
        };
        b.putLong(declared).put(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        Files.write(model.resolve("model.safetensors"), b.array());
        String expected = switch (kind) {
            case "truncated" -> "truncated header";
            case "oversized" -> "header length";
            default -> "point outside the data section";
        };
        assertRejected(run("--input", f.toString(), "--model", model.toString()), "model.safetensors", expected);
    }

    @Test
    void badLayersAndOptions() throws IOException {
        Path f = Files.writeString(dir.resolve("a.txt"), "hello\n");
        assertRejected(run("--input", f.toString(), "--layers", "9"), "--layers", "out of range", "0..6");
        assertRejected(run("--input", f.toString(), "--pool", "max"), "--pool", "max");
        assertRejected(run("--input", f.toString(), "--max-length", "4096"), "--max-length 4096", "512");
    }

    @Test
    void usageErrorsAlsoExitWithTwo() {
        CliRun r = CliRun.of("activations", "--input");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(CliRun.of().exitCode()).as("bare tracelens prints usage").isEqualTo(2);
        assertThat(CliRun.of("activations", "--help").exitCode()).isZero();
    }

    /** Issue 14: a misspelt required option was reported only as the missing one; --version was empty on subcommands. */
    @Test
    void misspeltOptionsAreNamedAndEveryCommandHasAVersion() {
        CliRun r = CliRun.of("activations", "--inptu", "x.txt", "--out", "y.safetensors");
        assertThat(r.exitCode()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown option: --inptu").contains("Possible solutions: --input");
        CliRun v = CliRun.of("sip", "run", "--version");
        assertThat(v.exitCode()).isZero();
        assertThat(v.out()).startsWith("tracelens ");
    }
}
