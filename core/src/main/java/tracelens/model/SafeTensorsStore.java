package tracelens.model;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import tracelens.error.InvalidInputException;

/**
 * The tensors of one safetensors file as a {@link TensorStore}; {@link #open} also takes a Hugging Face folder
 * ({@code model.safetensors}, or its shards listed in {@code model.safetensors.index.json}, see {@link ShardedStore}).
 */
public final class SafeTensorsStore implements TensorStore {
    private final SafeTensors file;

    private SafeTensorsStore(SafeTensors file) {
        this.file = file;
    }

    /** A folder (model.safetensors, or shards listed in model.safetensors.index.json), or one .safetensors file. */
    public static TensorStore open(Path dir) {
        if (Files.isRegularFile(dir)) {
            return new SafeTensorsStore(SafeTensors.open(dir));
        }
        Path index = dir.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            return ShardedStore.open(index, dir, f -> new SafeTensorsStore(SafeTensors.open(f)));
        }
        Path single = dir.resolve("model.safetensors");
        if (Files.isRegularFile(single)) {
            return new SafeTensorsStore(SafeTensors.open(single));
        }
        throw InvalidInputException.at(dir, "no model.safetensors or model.safetensors.index.json in this folder");
    }

    @Override
    public boolean contains(String name) {
        return file.contains(name);
    }

    @Override
    public long[] shape(String name) {
        return file.info(present(name)).shape();
    }

    @Override
    public ByteBuffer float32(String name) {
        return file.float32(present(name));
    }

    /** {@code name}, checked to be in the file, with the message every checkpoint store gives. */
    private String present(String name) {
        if (!file.contains(name)) {
            throw new InvalidInputException(file.path() + ": tensor '" + name + "' is missing from the checkpoint");
        }
        return name;
    }

    @Override
    public String describe() {
        return file.path().getParent() == null ? file.path().toString() : file.path().getParent().toString();
    }

    @Override
    public void close() {
        file.close();
    }
}
