package tracelens.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import tracelens.error.InvalidInputException;

/**
 * A checkpoint split into shards listed by a Hugging Face index ({@code model.safetensors.index.json} or
 * {@code pytorch_model.bin.index.json}: {@code weight_map}, tensor name to shard file). A shard is opened only when one
 * of its tensors is first asked for, so reading one layer of a large model touches one shard.
 */
public final class ShardedStore implements TensorStore {
    private final Path dir;
    private final Map<String, String> weightMap; // tensor name -> shard file name
    private final Function<Path, TensorStore> openShard;
    private final Map<String, TensorStore> open = new HashMap<>();

    private ShardedStore(Path dir, Map<String, String> weightMap, Function<Path, TensorStore> openShard) {
        this.dir = dir;
        this.weightMap = weightMap;
        this.openShard = openShard;
    }

    /** The shards {@code index} lists in {@code dir}, each opened with {@code openShard}. */
    public static ShardedStore open(Path index, Path dir, Function<Path, TensorStore> openShard) {
        return new ShardedStore(dir, weightMap(index, dir), openShard);
    }

    /** The index's {@code weight_map}, every shard checked to be a file name in {@code dir} that exists. */
    static Map<String, String> weightMap(Path index, Path dir) {
        Map<String, String> map = new LinkedHashMap<>();
        try {
            JsonNode wm = new ObjectMapper().readTree(index.toFile()).get("weight_map");
            if (wm == null || !wm.isObject()) {
                throw InvalidInputException.at(index, "field 'weight_map'", "missing or not an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = wm.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                map.put(e.getKey(), e.getValue().asText());
            }
        } catch (IOException e) {
            throw InvalidInputException.at(index, "not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        for (String shard : new TreeSet<>(map.values())) {
            Path resolved;
            try {
                resolved = dir.resolve(shard).normalize();
            } catch (java.nio.file.InvalidPathException e) {
                throw InvalidInputException.at(index, "weight_map", "names shard '" + shard.replace("\0", "\\0")
                        + "', which is not a file name (" + e.getReason() + ")");
            }
            if (!resolved.startsWith(dir.normalize()) || !resolved.getParent().equals(dir.normalize())) {
                throw InvalidInputException.at(index, "weight_map", "names shard '" + shard + "' outside the model folder;"
                        + " shards are file names in " + dir);
            }
            if (!Files.isRegularFile(dir.resolve(shard))) {
                throw InvalidInputException.at(index, "weight_map", "names shard '" + shard + "', which is missing from " + dir);
            }
        }
        return map;
    }

    private TensorStore shardOf(String name) {
        String shard = weightMap.get(name);
        if (shard == null) {
            throw new InvalidInputException(dir + ": tensor '" + name + "' is missing from the checkpoint");
        }
        return open.computeIfAbsent(shard, s -> openShard.apply(dir.resolve(s)));
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
        open.values().forEach(TensorStore::close);
        open.clear();
    }
}
