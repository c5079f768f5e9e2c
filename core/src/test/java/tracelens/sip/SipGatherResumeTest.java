package tracelens.sip;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.activations.ResumeTest;
import tracelens.corpus.PassageSampler;
import tracelens.model.DType;
import tracelens.model.HiddenStateModel;
import tracelens.model.ModelLoader;
import tracelens.model.SafeTensors;
import tracelens.progress.Progress;
import tracelens.testing.Sentences;

/** A token-level gather killed mid-way continues where it stopped and ends with the same cache as an unbroken one. */
class SipGatherResumeTest {
    @TempDir
    Path dir;

    @Test
    void aKilledGatherResumesToTheSameF16Cache() {
        List<String> texts = Sentences.mixed(80, 16, 4);
        List<PassageSampler.Passage> passages = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            passages.add(new PassageSampler.Passage(texts.get(i), "s" + (i % 4), "d" + i, i % 5 == 0));
        }
        PassageSampler.Sample sample = new PassageSampler.Sample(passages, List.of("s0", "s1", "s2", "s3"), List.of(), 0);
        SipGather.Options o = new SipGather.Options(new int[] {2, 6}, 24, 2, true, DType.F16, false, Map.of("seed", "0"));
        try (HiddenStateModel base = ModelLoader.load("minilm")) {
            AtomicInteger rows = new AtomicInteger();
            ResumeTest.Counting m = new ResumeTest.Counting(base, rows);
            Path a = dir.resolve("a");
            assertThatThrownBy(() -> SipGather.gather(m, sample, o, a, ResumeTest.killAfter(50))).hasMessage("killed");
            rows.set(0);
            SipGather.Result r = SipGather.gather(m, sample, o, a, Progress.NONE);
            assertThat(r.reused()).isFalse();
            assertThat(rows.get()).as("only the texts after the finished chunk of 32").isEqualTo(80 - 32);
            rows.set(0);
            assertThat(SipGather.gather(m, sample, o, a, Progress.NONE).reused()).isTrue();
            assertThat(rows.get()).isZero();

            Path b = dir.resolve("b");
            SipGather.gather(base, sample, o, b, Progress.NONE);
            try (SafeTensors x = SafeTensors.open(a.resolve(SipGather.ACTIVATIONS));
                 SafeTensors y = SafeTensors.open(b.resolve(SipGather.ACTIVATIONS))) {
                for (String t : new String[] {"layer.2", "layer.6", "mask"}) {
                    assertThat(x.raw(t)).as(t).isEqualTo(y.raw(t));
                }
                assertThat(x.longs("labels")).containsExactly(y.longs("labels"));
                assertThat(x.metadata()).containsEntry("sampling.seed", "0").containsEntry("dtype", "f16");
            }
        }
    }
}
