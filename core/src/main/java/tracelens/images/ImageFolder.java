package tracelens.images;

import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import tracelens.error.InvalidInputException;

/**
 * A labelled image folder as torchvision's ImageFolder lays it out: one sub-folder per class, classes numbered in
 * sorted order of their names, images sorted by name within a class. 8-bit gray PNGs round-trip exactly.
 */
public final class ImageFolder {
    /** One image: its path relative to the folder (class/name), label, channels (1 gray or 3 RGB), size, CHW in [0, 1]. */
    public record Item(String relative, int label, int channels, int height, int width, float[] pixels) {
        public Item withPixels(float[] p) {
            return new Item(relative, label, channels, height, width, p);
        }
    }

    private final List<String> classes;
    private final List<Item> items;

    public ImageFolder(List<String> classes, List<Item> items) {
        this.classes = List.copyOf(classes);
        this.items = List.copyOf(items);
    }

    public List<String> classes() {
        return classes;
    }

    public List<Item> items() {
        return items;
    }

    public static ImageFolder read(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw InvalidInputException.at(dir, "not a folder (expected one sub-folder of images per class)");
        }
        List<Path> classDirs;
        try (Stream<Path> s = Files.list(dir)) {
            classDirs = s.filter(Files::isDirectory).sorted().toList();
        } catch (IOException e) {
            throw InvalidInputException.at(dir, "cannot list: " + e.getMessage());
        }
        if (classDirs.size() < 2) {
            throw InvalidInputException.at(dir, "has " + classDirs.size() + " class sub-folders; a classification set needs at least 2");
        }
        List<String> classes = new ArrayList<>();
        List<Item> items = new ArrayList<>();
        for (int label = 0; label < classDirs.size(); label++) {
            Path cd = classDirs.get(label);
            classes.add(cd.getFileName().toString());
            List<Path> files;
            try (Stream<Path> s = Files.list(cd)) {
                files = s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|bmp)")).sorted().toList();
            } catch (IOException e) {
                throw InvalidInputException.at(cd, "cannot list: " + e.getMessage());
            }
            for (Path f : files) {
                items.add(readImage(f, cd.getFileName() + "/" + f.getFileName(), label));
            }
        }
        if (items.isEmpty()) {
            throw InvalidInputException.at(dir, "holds no .png or .bmp images in its class sub-folders");
        }
        return new ImageFolder(classes, items);
    }

    /**
     * Decodes one image file: 8-bit gray from its raster samples, exactly (Java's getRGB would pass gray through a
     * colour conversion); anything else (RGB, RGBA, palette, JPEG) as RGB through the image's own colour model.
     */
    public static Item readImage(Path file, String relative, int label) {
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw InvalidInputException.at(file, "unreadable or truncated image (" + e.getMessage() + ")");
        }
        if (img == null) {
            throw InvalidInputException.at(file, "not an image this reader knows (png, jpg, bmp, gif)");
        }
        var raster = img.getRaster();
        int w = img.getWidth();
        int h = img.getHeight();
        boolean gray = raster.getNumBands() == 1 && raster.getSampleModel().getSampleSize(0) == 8
                && !(img.getColorModel() instanceof java.awt.image.IndexColorModel);
        int channels = gray ? 1 : 3;
        float[] px = new float[channels * h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (gray) {
                    px[y * w + x] = raster.getSample(x, y, 0) / 255f;
                } else {
                    int p = img.getRGB(x, y);
                    px[y * w + x] = ((p >> 16) & 255) / 255f;
                    px[(h + y) * w + x] = ((p >> 8) & 255) / 255f;
                    px[(2 * h + y) * w + x] = (p & 255) / 255f;
                }
            }
        }
        return new Item(relative, label, channels, h, w, px);
    }

    /** The 8-bit sample of a pixel value in [0, 1]: clamped, then truncated, as the marking code of the original. */
    public static int toByte(float v) {
        return (int) Math.max(0, Math.min(255, v * 255f + 1e-3f)); // + 1e-3 of a level: float error must not drop an on-grid value
    }

    /** Writes {@code item} as an 8-bit PNG, each value rounded to the nearest of the 256 levels (exact for on-grid pixels). */
    public static void writePng(Path file, Item item) throws IOException {
        int w = item.width();
        int h = item.height();
        BufferedImage img = new BufferedImage(w, h, item.channels() == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_3BYTE_BGR);
        WritableRaster raster = img.getRaster();
        for (int c = 0; c < item.channels(); c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    raster.setSample(x, y, c, toByte(item.pixels()[(c * h + y) * w + x] + 0.5f / 255f));
                }
            }
        }
        Files.createDirectories(file.getParent());
        try {
            if (!ImageIO.write(img, "png", file.toFile())) {
                throw new IOException("no PNG writer");
            }
        } catch (IOException e) { // ImageIO says only "I/O error writing PNG file!"
            String cause = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
            throw new IOException("cannot write " + file + ": " + cause, e);
        }
    }
}
