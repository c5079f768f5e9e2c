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
import tracelens.error.InvalidInputException;

/**
 * The tensors of a Hugging Face model folder: {@code model.safetensors}, or shards listed in
 * {@code model.safetensors.index.json} ({@code weight_map}: name → shard file). Shards are opened only when
 * one of their tensors is first asked for, so reading one layer of a large model touches one shard.
 */
public final class SafeTensorsStore implements TensorStore {
    private final Path dir;
    private final Map<String, String> weightMap; // tensor name -> shard file name
    private final Map<String, SafeTensors> open = new HashMap<>();

    private SafeTensorsStore(Path dir, Map<String, String> weightMap) {
        this.dir = dir;
        this.weightMap = weightMap;
    }

    /** A folder (model.safetensors, or shards listed in model.safetensors.index.json), or one .safetensors file. */
    public static SafeTensorsStore open(Path dir) {
        if (Files.isRegularFile(dir)) {
            SafeTensors st = SafeTensors.open(dir);
            Map<String, String> map = new LinkedHashMap<>();
            st.tensors().keySet().forEach(n -> map.put(n, dir.getFileName().toString()));
            SafeTensorsStore store = new SafeTensorsStore(dir.toAbsolutePath().getParent(), map);
            store.open.put(dir.getFileName().toString(), st);
            return store;
        }
        Path index = dir.resolve("model.safetensors.index.json");
        Path single = dir.resolve("model.safetensors");
        if (Files.isRegularFile(index)) {
            Map<String, String> map = weightMap(index, dir);
            return new SafeTensorsStore(dir, map);
        }
        if (Files.isRegularFile(single)) {
            SafeTensors st = SafeTensors.open(single);
            Map<String, String> map = new LinkedHashMap<>();
            st.tensors().keySet().forEach(n -> map.put(n, single.getFileName().toString()));
            SafeTensorsStore store = new SafeTensorsStore(dir, map);
            store.open.put(single.getFileName().toString(), st);
            return store;
        }
        throw InvalidInputException.at(dir, "no model.safetensors or model.safetensors.index.json in this folder");
    }

    /**
     * The {@code weight_map} (tensor name to shard file) of a Hugging Face shard index ({@code *.index.json}), every shard
     * checked to be a file name in {@code dir} that exists.
     */
    public static Map<String, String> weightMap(Path index, Path dir) {
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

    private SafeTensors shardOf(String name) {
        String shard = weightMap.get(name);
        if (shard == null) {
            throw new InvalidInputException(dir + ": tensor '" + name + "' is missing from the checkpoint");
        }
        return open.computeIfAbsent(shard, s -> SafeTensors.open(dir.resolve(s)));
    }

    @Override
    public boolean contains(String name) {
        return weightMap.containsKey(name);
    }

    @Override
    public long[] shape(String name) {
        return shardOf(name).info(name).shape();
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
        open.values().forEach(SafeTensors::close);
        open.clear();
    }
}
