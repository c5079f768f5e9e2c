package tracelens.cnn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import tracelens.runtime.DjlRuntime;

class MnistCanvasTest {
    @Test
    void canvasesAreSeededAndTheirBoxesHoldTheDigit() {
        MnistCanvas d = MnistCanvas.load(DjlRuntime.cacheRoot());
        List<MnistCanvas.Image> a = d.images(30, 64, false, 3);
        List<MnistCanvas.Image> b = d.images(30, 64, false, 3);
        for (int i = 0; i < a.size(); i++) {
            MnistCanvas.Image img = a.get(i);
            assertThat(img.pixels()).containsExactly(b.get(i).pixels());
            assertThat(img.label()).isEqualTo(i % 10);
            int[] box = img.box();
            assertThat(box[2] - box[0]).isBetween(1, 28);
            assertThat(box[3] - box[1]).isBetween(1, 28);
            // the brightest pixels (the digit's strokes, 1.0 in MNIST) lie in the box or in the distractor fragment;
            // inside the box the digit reaches full intensity
            float inMax = 0;
            for (int y = box[1]; y < box[3]; y++) {
                for (int x = box[0]; x < box[2]; x++) {
                    inMax = Math.max(inMax, img.pixels()[y * 64 + x]);
                }
            }
            assertThat(inMax).isGreaterThan(0.5f);
            for (float v : img.pixels()) {
                assertThat(v).isBetween(0f, 1f);
            }
        }
        assertThat(d.images(5, 64, true, 3).get(0).pixels()).isNotEqualTo(a.get(0).pixels());
    }
}
