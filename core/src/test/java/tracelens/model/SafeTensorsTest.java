package tracelens.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;
import tracelens.runtime.DjlRuntime;

class SafeTensorsTest {
    @TempDir
    Path dir;

    @Test
    void writerOutputIsReadByDjlsOwnDecoder() throws IOException {
        Path f = dir.resolve("a.safetensors");
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("w", new long[] {2, 3});
        shapes.put("b", new long[] {3});
        SafeTensorsWriter.writeAll(f, shapes, Map.of("w", new float[] {1, 2, 3, 4, 5, 6}, "b", new float[] {-1, 0.5f, 7}),
                Map.of("note", "hi"));
        assertThat(Files.list(dir)).as("no temporary file left").containsExactly(f);
        try (NDManager m = DjlRuntime.manager()) {
            NDList list = NDList.decode(m, Files.readAllBytes(f)); // DJL's independent safetensors reader
            assertThat(list.get("w").getShape().getShape()).containsExactly(2, 3);
            assertThat(list.get("w").toFloatArray()).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(list.get("b").toFloatArray()).containsExactly(-1, 0.5f, 7);
        }
        try (SafeTensors st = SafeTensors.open(f)) {
            assertThat(st.metadata()).containsEntry("note", "hi");
            assertThat(st.floats("w")).containsExactly(1, 2, 3, 4, 5, 6);
            assertThat(st.info("b").shape()).containsExactly(3);
        }
    }

    @Test
    void f16AndBf16AreWidenedToF32() throws IOException {
        Path f = dir.resolve("h.safetensors");
        float[] values = {1f, -2f, 0.333251953125f, 65504f};
        try (SafeTensorsWriter w = SafeTensorsWriter.create(f, List.of(
                new SafeTensorsWriter.Spec("h", DType.F16, new long[] {4}),
                new SafeTensorsWriter.Spec("bf", DType.BF16, new long[] {4})), Map.of())) {
            ByteBuffer h = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer bf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                h.putShort(DType.floatToHalf(v));
                bf.putShort((short) (Float.floatToIntBits(v) >>> 16));
            }
            w.write("h", 0, h.flip());
            w.write("bf", 0, bf.flip());
            w.commit();
        }
        try (SafeTensors st = SafeTensors.open(f)) {
            assertThat(st.floats("h")).containsExactly(values);
            // bf16 keeps 8 mantissa bits: 0.333251953125 -> 0.33203125, 65504 -> 65280
            assertThat(st.floats("bf")).containsExactly(1f, -2f, 0.33203125f, 65280f);
        }
    }

    @Test
    void abandonedWriterLeavesNoFile() throws IOException {
        Path f = dir.resolve("x.safetensors");
        try (SafeTensorsWriter w = SafeTensorsWriter.create(f, List.of(new SafeTensorsWriter.Spec("t", DType.F32, new long[] {2})), Map.of())) {
            w.writeFloats("t", 0, new float[] {1, 2});
        }
        assertThat(Files.list(dir)).isEmpty();
    }

    @Test
    void truncatedHeaderIsRejected() throws IOException {
        Path f = write("trunc.safetensors", header(200, "{\"t\":"));
        assertThatThrownBy(() -> SafeTensors.open(f)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("truncated header");
    }

    @Test
    void oversizedHeaderIsRejectedBeforeAllocating() throws IOException {
        Path f = write("big.safetensors", header(Long.MAX_VALUE / 2, "{}"));
        assertThatThrownBy(() -> SafeTensors.open(f)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("header length").hasMessageContaining(String.valueOf(SafeTensors.MAX_HEADER_BYTES));
    }

    @Test
    void offsetsOutsideTheFileAreRejected() throws IOException {
        String json = "{\"t\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
        Path f = write("out.safetensors", concat(header(json.length(), json), new byte[8]));
        assertThatThrownBy(() -> SafeTensors.open(f)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("tensor 't'").hasMessageContaining("outside the data section of 8 bytes");
    }

    @Test
    void shapeThatDisagreesWithOffsetsIsRejected() throws IOException {
        String json = "{\"t\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        Path f = write("shape.safetensors", concat(header(json.length(), json), new byte[8]));
        assertThatThrownBy(() -> SafeTensors.open(f)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("needs 12 bytes but data_offsets span 8");
    }

    @Test
    void tinyOrNonJsonFilesAreRejected() throws IOException {
        Path tiny = write("tiny.safetensors", new byte[3]);
        assertThatThrownBy(() -> SafeTensors.open(tiny)).hasMessageContaining("not a safetensors file");
        Path junk = write("junk.safetensors", concat(header(4, "abcd"), new byte[0]));
        assertThatThrownBy(() -> SafeTensors.open(junk)).hasMessageContaining("not valid JSON");
        assertThatThrownBy(() -> SafeTensors.open(dir.resolve("missing.safetensors"))).hasMessageContaining("file not found");
    }

    /** Issue 15: headers the reader used to accept. */
    @Test
    void overlappingOffsetsDuplicateKeysTrailingTextAndHugeShapesAreRejected() throws IOException {
        String overlap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        Path f1 = write("overlap.safetensors", concat(header(overlap.length(), overlap), new byte[12]));
        assertThatThrownBy(() -> SafeTensors.open(f1)).isInstanceOf(InvalidInputException.class).hasMessageContaining("overlap");
        String dup = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        Path f2 = write("dup.safetensors", concat(header(dup.length(), dup), new byte[8]));
        assertThatThrownBy(() -> SafeTensors.open(f2)).isInstanceOf(InvalidInputException.class).hasMessageContaining("Duplicate");
        String trailing = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} x";
        Path f3 = write("trailing.safetensors", concat(header(trailing.length(), trailing), new byte[4]));
        assertThatThrownBy(() -> SafeTensors.open(f3)).isInstanceOf(InvalidInputException.class).hasMessageContaining("not valid JSON");
        String padded = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}     ";
        Path ok = write("padded.safetensors", concat(header(padded.length(), padded), new byte[4]));
        try (SafeTensors st = SafeTensors.open(ok)) { // padding spaces stay legal
            assertThat(st.tensors()).containsKey("a");
        }
        String huge = "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,4]}}";
        Path f4 = write("huge.safetensors", concat(header(huge.length(), huge), new byte[4]));
        assertThatThrownBy(() -> SafeTensors.open(f4)).isInstanceOf(InvalidInputException.class).hasMessageContaining("more elements");
    }

    /** Issue 15: a shard index may only name files in the model folder. */
    @Test
    void shardIndexEntriesOutsideTheFolderAreRejected() throws IOException {
        String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
        write("x.safetensors", concat(header(json.length(), json), new byte[4])); // exists, beside the model folder
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"w\": \"../x.safetensors\"}}");
        assertThatThrownBy(() -> SafeTensorsStore.open(model)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("outside the model folder");
    }

    private static byte[] header(long declared, String json) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + j.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declared).put(j);
        return b.array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f;
    }
}
