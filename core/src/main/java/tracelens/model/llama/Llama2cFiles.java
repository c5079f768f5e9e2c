package tracelens.model.llama;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import tracelens.error.InvalidInputException;

/** Finds the tokenizer that belongs to a llama2.c checkpoint when the user names none. */
public final class Llama2cFiles {
    private Llama2cFiles() {}

    /** {@code tokenizer.bin} beside the checkpoint, else the only {@code tok*.bin} there. */
    public static Path tokenizerBeside(Path checkpoint) {
        Path dir = checkpoint.toAbsolutePath().getParent();
        Path standard = dir.resolve("tokenizer.bin");
        if (Files.isRegularFile(standard)) {
            return standard;
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> toks = files.filter(p -> p.getFileName().toString().matches("tok.*\\.bin")).toList();
            if (toks.size() == 1) {
                return toks.get(0);
            }
            throw InvalidInputException.at(checkpoint, "no tokenizer: pass --tokenizer FILE (found "
                    + (toks.isEmpty() ? "no tokenizer.bin or tok*.bin" : toks.size() + " tok*.bin files") + " in " + dir + ")");
        } catch (IOException e) {
            throw InvalidInputException.at(dir, "cannot list: " + e.getMessage());
        }
    }
}
