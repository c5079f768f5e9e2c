package tracelens.radioactive;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.cnn.Cnn;
import tracelens.cnn.CnnInit;
import tracelens.cnn.CnnLoader;
import tracelens.cnn.MnistCanvas;
import tracelens.images.ImageFolder;
import tracelens.runtime.DjlRuntime;

/** Image marking: the augmentations as linear maps, the 8-bit round trip, and the marked features moving along u. */
class ImageMarkerTest {
    @TempDir
    Path dir;

    @Test
    void wholeImageCropAtItsOwnSizeIsTheIdentityAndFlipReverses() {
        float[] id = Augmentation.weights(5, 0, 5, 5, false);
        float[] flip = Augmentation.weights(5, 0, 5, 5, true);
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 5; j++) {
                assertThat(id[i * 5 + j]).isEqualTo(i == j ? 1f : 0f);
                assertThat(flip[i * 5 + j]).isEqualTo(i == 4 - j ? 1f : 0f);
            }
        }
    }

    @Test
    void halvingAveragesPairsAndEnlargingInterpolatesAsBilinear() {
        // shrinking by 2: the widened triangle (support 2) at centre 2i + 1 weighs pixels 2i - 1 .. 2i + 2 as 1:3:3:1
        float[] half = Augmentation.weights(8, 0, 8, 4, false);
        assertThat(half[8 + 1]).isCloseTo(1 / 8f, within(1e-6f));
        assertThat(half[8 + 2]).isCloseTo(3 / 8f, within(1e-6f));
        assertThat(half[8 + 3]).isCloseTo(3 / 8f, within(1e-6f));
        assertThat(half[8 + 4]).isCloseTo(1 / 8f, within(1e-6f));
        // enlarging 2 -> 4 with half-pixel centres: output 1 sits at source 0.75 -> 0.75 * p0 + 0.25 * p1
        float[] up = Augmentation.weights(2, 0, 2, 4, false);
        assertThat(up[2]).isCloseTo(0.75f, within(1e-6f));
        assertThat(up[3]).isCloseTo(0.25f, within(1e-6f));
        assertThat(up[0]).isEqualTo(1f); // the edge clamps
        for (int i = 0; i < 4; i++) {
            assertThat(half[i * 8] + half[i * 8 + 1] + half[i * 8 + 2] + half[i * 8 + 3] + half[i * 8 + 4] + half[i * 8 + 5]
                    + half[i * 8 + 6] + half[i * 8 + 7]).isCloseTo(1f, within(1e-6f));
        }
    }

    @Test
    void cropsAreAppliedPerImageAndCarryGradients() {
        try (NDManager m = DjlRuntime.manager()) {
            float[] v = new float[2 * 1 * 4 * 4];
            for (int i = 0; i < v.length; i++) {
                v[i] = i;
            }
            NDArray x = m.create(v, new Shape(2, 1, 4, 4));
            Augmentation.Crop[] crops = {new Augmentation.Crop(0, 0, 4, 4, false), new Augmentation.Crop(1, 2, 2, 2, true)};
            float[] y = Augmentation.apply(m, x, crops, 2).toFloatArray();
            // image 0 halved: mean-like blends; image 1: rows 1-2, columns 2-3, flipped -> [[7, 6], [11, 10]] + 16
            assertThat(y[4]).isEqualTo(16 + 7f);
            assertThat(y[5]).isEqualTo(16 + 6f);
            assertThat(y[6]).isEqualTo(16 + 11f);
            assertThat(y[7]).isEqualTo(16 + 10f);
            Augmentation.Crop c = Augmentation.center(64, 48, 32);
            assertThat(c.height()).isEqualTo(c.width()); // a square of the shorter side's 224/256
            assertThat(c.width()).isEqualTo(Math.round(32 * 48 / 37.0));
            Random r = new Random(1);
            for (int i = 0; i < 200; i++) {
                Augmentation.Crop rc = Augmentation.random(40, 40, 40, r);
                assertThat(rc.top() + rc.height()).isLessThanOrEqualTo(40);
                assertThat(rc.left() + rc.width()).isLessThanOrEqualTo(40);
                assertThat((double) rc.height() * rc.width()).isGreaterThanOrEqualTo(0.08 * 1600 * 0.8);
            }
        }
    }

    @Test
    void grayPngsRoundTripExactly() throws Exception {
        float[] px = new float[6 * 5];
        for (int i = 0; i < px.length; i++) {
            px[i] = (i * 37 % 256) / 255f;
        }
        ImageFolder.writePng(dir.resolve("a/0/x.png"), new ImageFolder.Item("0/x.png", 0, 1, 5, 6, px));
        ImageFolder.writePng(dir.resolve("a/1/y.png"), new ImageFolder.Item("1/y.png", 1, 1, 5, 6, px));
        ImageFolder f = ImageFolder.read(dir.resolve("a"));
        assertThat(f.classes()).containsExactly("0", "1");
        assertThat(f.items()).hasSize(2);
        assertThat(f.items().get(1).label()).isEqualTo(1);
        assertThat(f.items().get(0).pixels()).containsExactly(px);
    }

    @Test
    void markedFeaturesMoveAlongTheCarrierWithinTheRadius() {
        Path weights = dir.resolve("net.safetensors");
        CnnInit.resnet18(weights, 8, 10, 3);
        List<ImageFolder.Item> items = new ArrayList<>();
        for (MnistCanvas.Image im : MnistCanvas.load(DjlRuntime.cacheRoot()).images(40, 40, false, 9)) {
            if (im.label() == 4) {
                float[] grid = new float[im.pixels().length];
                for (int k = 0; k < grid.length; k++) {
                    grid[k] = Math.round(im.pixels()[k] * 255) / 255f;
                }
                items.add(new ImageFolder.Item("4/" + items.size() + ".png", 4, 1, 40, 40, grid));
            }
        }
        assertThat(items).hasSize(4);
        Carriers key = Carriers.random(10, 64, 21);
        // centre crops: the deterministic variant (random crops are exercised by the command's test)
        ImageMarker.Options o = new ImageMarker.Options(60, 1.0, 0, 0, 0.01, 0.0005, 10, false);
        try (Cnn cnn = CnnLoader.load(weights, Cnn.Arch.RESNET18); NDManager m = DjlRuntime.manager()) {
            List<ImageMarker.Marked> marked = ImageMarker.mark(m, cnn, items, key.u()[4], ImageMarker.Normalisation.canvas(), o, 5);
            List<ImageMarker.Marked> other = ImageMarker.mark(m, cnn, items, key.u()[7], ImageMarker.Normalisation.canvas(), o, 5);
            double bound = 20 * Math.log10(255 / 10.0); // every pixel off by the full radius
            double sumCos = 0;
            for (int i = 0; i < items.size(); i++) {
                ImageMarker.Marked mk = marked.get(i);
                // the shift points along this image's carrier: each cosine positive, and their mean over the 8 markings
                // far above chance (a random direction in 64 dimensions: cosine sd 1/8, the mean of 8 sd 0.044)
                assertThat(mk.shiftCosine()).as("image %d", i).isGreaterThan(0);
                assertThat(other.get(i).shiftCosine()).as("image %d, other carrier", i).isGreaterThan(0);
                assertThat(mk.shiftAlongCarrier()).isGreaterThan(0);
                sumCos += mk.shiftCosine() + other.get(i).shiftCosine();
                assertThat(mk.psnr()).isGreaterThanOrEqualTo(bound).isLessThan(60);
                float[] a = items.get(i).pixels();
                float[] b = mk.image().pixels();
                boolean changed = false;
                for (int k = 0; k < a.length; k++) {
                    float levels = Math.abs(a[k] - b[k]) * 255;
                    assertThat(levels).isLessThanOrEqualTo(10.001f);
                    assertThat(b[k] * 255).isCloseTo(Math.round(b[k] * 255), within(1e-3f)); // 8-bit values
                    changed |= levels > 0.5f;
                }
                assertThat(changed).isTrue();
            }
            assertThat(sumCos / 8).isGreaterThan(0.2);
        }
    }
}
