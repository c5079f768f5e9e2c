package tracelens.model;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import tracelens.error.InvalidInputException;
import tracelens.model.torch.TorchCheckpoint;

/**
 * Opens a checkpoint whatever its format: safetensors (a file, {@code model.safetensors} or its shards) first, as it
 * needs no parsing of code-bearing formats; otherwise PyTorch's zip format read weights-only ({@code pytorch_model.bin}
 * or its shards listed in {@code pytorch_model.bin.index.json}, or a {@code .pth}/{@code .pt}/{@code .bin} file).
 */
public final class TensorStores {
    private TensorStores() {}

    public static TensorStore open(Path path) {
        if (Files.isRegularFile(path)) {
            return TorchCheckpoint.isZip(path) ? TorchCheckpoint.open(path) : SafeTensorsStore.open(path);
        }
        if (Files.isRegularFile(path.resolve("model.safetensors")) || Files.isRegularFile(path.resolve("model.safetensors.index.json"))) {
            return SafeTensorsStore.open(path);
        }
        Path index = path.resolve("pytorch_model.bin.index.json");
        if (Files.isRegularFile(index)) {
            return new Shards(path, SafeTensorsStore.weightMap(index, path));
        }
        if (Files.isRegularFile(path.resolve("pytorch_model.bin"))) {
            return TorchCheckpoint.open(path.resolve("pytorch_model.bin"));
        }
        throw InvalidInputException.at(path, "no weights in this folder: expected model.safetensors (or its shards with"
                + " model.safetensors.index.json) or pytorch_model.bin (or pytorch_model.bin.index.json)");
    }

    /** PyTorch shards, each opened when one of its tensors is first asked for. */
    private static final class Shards implements TensorStore {
        private final Path dir;
        private final Map<String, String> weightMap;
        private final Map<String, TorchCheckpoint> open = new HashMap<>();

        Shards(Path dir, Map<String, String> weightMap) {
            this.dir = dir;
            this.weightMap = weightMap;
        }

        private TorchCheckpoint shardOf(String name) {
            String shard = weightMap.get(name);
            if (shard == null) {
                throw new InvalidInputException(dir + ": tensor '" + name + "' is missing from the checkpoint");
            }
            return open.computeIfAbsent(shard, s -> TorchCheckpoint.open(dir.resolve(s)));
        }

        @Override
        public boolean contains(String name) {
            return weightMap.containsKey(name);
        }

        @Override
        public long[] shape(String name) {
            return shardOf(name).shape(name);
        }

        @Override
        public ByteBuffer float32(String name) {
            return shardOf(name).float32(name);
        }

        @Override
        public String describe() {
            return dir.toString();
        }

        @Override
        public void close() {
            open.values().forEach(TorchCheckpoint::close);
        }
    }
}
