package tracelens.model.decoder;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import tracelens.error.InvalidInputException;
import tracelens.model.SafeTensors;
import tracelens.model.SafeTensorsStore;
import tracelens.model.SafeTensorsWriter;
import tracelens.model.TensorStore;

/**
 * A decoder saved by tracelens (after fine-tuning): one safetensors file with every parameter under the decoder's own
 * canonical name and layout (rotate-half rotary rows, [out, in] matrices), the {@link DecoderConfig} as JSON in the
 * metadata field {@code decoder_config}, and the tokenizer's path in {@code tokenizer}. Reading it back needs no
 * conversion, so a saved model computes exactly what the trained one did.
 */
public final class SavedDecoder implements DecoderParams {
    public static final String FORMAT = "tracelens.decoder/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final TensorStore store;
    private final DecoderConfig config;
    private final Path tokenizer;

    private SavedDecoder(Path path, TensorStore store, DecoderConfig config, Path tokenizer) {
        this.path = path;
        this.store = store;
        this.config = config;
        this.tokenizer = tokenizer;
    }

    public static boolean is(Path file) {
        return file.getFileName().toString().endsWith(".safetensors") && FORMAT.equals(SafeTensors.headerMetadata(file).get("format"));
    }

    public static SavedDecoder open(Path file) {
        Map<String, String> meta = SafeTensors.headerMetadata(file);
        String json = meta.get("decoder_config");
        if (json == null) {
            throw InvalidInputException.at(file, "has no decoder_config metadata (not saved by tracelens)");
        }
        DecoderConfig config;
        try {
            config = JSON.readValue(json, DecoderConfig.class);
        } catch (IOException e) {
            throw InvalidInputException.at(file, "metadata decoder_config is not a valid configuration: " + e.getMessage());
        }
        String tok = meta.get("tokenizer");
        return new SavedDecoder(file, SafeTensorsStore.open(file), config, tok == null ? null : Path.of(tok));
    }

    public DecoderConfig config() {
        return config;
    }

    /** The tokenizer recorded at saving time (null if none was). */
    public Path tokenizer() {
        return tokenizer;
    }

    @Override
    public ByteBuffer get(String canonical, long... shape) {
        if (!store.contains(canonical)) {
            throw InvalidInputException.at(path, "tensor '" + canonical + "' is missing");
        }
        if (!Arrays.equals(store.shape(canonical), shape)) {
            throw InvalidInputException.at(path, "tensor '" + canonical + "' has shape " + Arrays.toString(store.shape(canonical))
                    + ", the configuration needs " + Arrays.toString(shape));
        }
        return store.float32(canonical);
    }

    /** Writes {@code model}'s parameters, configuration and tokenizer path (plus {@code metadata}) to {@code file}. */
    public static void save(Decoder model, Path file, Path tokenizerFile, Map<String, String> metadata) {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("format", FORMAT);
        try {
            meta.put("decoder_config", JSON.writeValueAsString(model.config()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (tokenizerFile != null) {
            meta.put("tokenizer", tokenizerFile.toAbsolutePath().toString());
        }
        SafeTensorsWriter.writeArrays(file, model.parameters().asMap(), meta);
    }

    @Override
    public String describe() {
        return path.toString();
    }

    @Override
    public void close() {
        store.close();
    }
}
