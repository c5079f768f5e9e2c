package tracelens.model;

import java.nio.file.Files;
import java.nio.file.Path;
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
            return ShardedStore.open(index, path, TorchCheckpoint::open);
        }
        if (Files.isRegularFile(path.resolve("pytorch_model.bin"))) {
            return TorchCheckpoint.open(path.resolve("pytorch_model.bin"));
        }
        throw InvalidInputException.at(path, "no weights in this folder: expected model.safetensors (or its shards with"
                + " model.safetensors.index.json) or pytorch_model.bin (or pytorch_model.bin.index.json)");
    }
}
