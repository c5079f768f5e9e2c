package tracelens.sip;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A finished layer's file round-trips every number, NaN included, and is ignored under other settings or when damaged. */
class FinishedLayerTest {
    @TempDir
    Path out;

    @Test
    void roundTripsAndIsOnlyReusedForTheSameFingerprint() throws Exception {
        SipRun.LayerResult r = new SipRun.LayerResult(3, 0.5, Double.NaN, 0.25, 1.0, 0.4, new double[] {0.3, 0.55}, -0.01, 0.02,
                List.of(new Metrics.Confusion(1, 2, 4)), 17, 0, new SipRun.Geometry(0.2, Double.NaN, 7.5), Double.NaN);
        List<SipRun.Map2d> maps = List.of(new SipRun.Map2d(3, 0, new int[] {0, 1}, new float[][] {{1f, 2f}, {3f, Float.NaN}}, new int[] {0, 1}));
        new SipRun.Finished("abc", r, maps).write(out);
        SipRun.Finished back = SipRun.Finished.read(out, 3, "abc");
        assertThat(back).isNotNull();
        assertThat(back.result().mlpAccuracy()).isNaN();
        assertThat(back.result().geometry().isoScoreStar()).isNaN();
        assertThat(back.result().ilmEffect()).isNaN();
        assertThat(back.result().macroF1Ci95()).containsExactly(0.3, 0.55);
        assertThat(back.result().confused()).containsExactly(new Metrics.Confusion(1, 2, 4));
        assertThat(back.result().linearEpochs()).isEqualTo(17);
        assertThat(back.maps().get(0).xy()[1][1]).isNaN();
        assertThat(back.maps().get(0).labels()).containsExactly(0, 1);
        assertThat(SipRun.Finished.read(out, 3, "other settings")).isNull();
        assertThat(SipRun.Finished.read(out, 4, "abc")).as("no file for that layer").isNull();
        Files.writeString(SipRun.Finished.file(out, 3), "{\"truncated");
        assertThat(SipRun.Finished.read(out, 3, "abc")).as("a damaged file is redone, not an error").isNull();
    }
}
