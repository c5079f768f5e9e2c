package tracelens.model.llama;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: a llama2.c checkpoint over 2 GiB failed because the file was mapped in one piece. A sparse 2.3 GB file
 * (a 9,000,000-token embedding, zeros on disk except what the test writes) opens, and the final norm, stored past the
 * 2 GiB mark, reads back exactly.
 */
class LargeCheckpointTest {
    @TempDir
    Path dir;

    @Test
    void aCheckpointOver2GiBOpensAndReadsTensorsPastTheMark() throws Exception {
        int dim = 64, hidden = 32, layers = 1, heads = 4, kv = 4, vocab = 9_000_000, seq = 8;
        long elements = (long) vocab * dim + layers * dim + 4L * layers * dim * dim + layers * dim + 3L * layers * hidden * dim + dim
                + 2L * seq * (dim / heads) / 2;
        Path file = dir.resolve("big.bin");
        long normAt = 28 + 4L * ((long) vocab * dim + layers * dim + 4L * layers * dim * dim + layers * dim + 3L * layers * hidden * dim);
        assertThat(normAt).isGreaterThan(Integer.MAX_VALUE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
            ByteBuffer h = ByteBuffer.allocate(28).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(dim).putInt(hidden).putInt(layers).putInt(heads).putInt(kv).putInt(vocab).putInt(seq).flip();
            ch.write(h, 0);
            ByteBuffer norm = ByteBuffer.allocate(dim * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < dim; i++) {
                norm.putFloat(0.5f + i);
            }
            ch.write(norm.flip(), normAt);
            ch.write(ByteBuffer.allocate(1), 28 + elements * 4 - 1); // the file's full size, the rest a hole
        }
        Llama2cCheckpoint c = Llama2cCheckpoint.open(file);
        assertThat(c.config().vocabSize()).isEqualTo(vocab);
        ByteBuffer norm = c.get("norm.weight", dim);
        for (int i = 0; i < dim; i++) {
            assertThat(norm.getFloat(4 * i)).isEqualTo(0.5f + i);
        }
        assertThat(c.get("layers.0.w2", dim, hidden).getFloat(0)).isZero();
    }
}
