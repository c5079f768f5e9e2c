package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.model.SafeTensors;
import tracelens.runtime.DjlRuntime;
import tracelens.testing.CliRun;

/**
 * issue 17, outcome 3, on a machine without a GPU: --device is parsed and checked, "auto" falls back to the CPU, and an
 * explicitly placed run (every manager created on the chosen device, outputs copied back to the host) gives the
 * default run's numbers. Whether a CUDA device computes them too is for a machine with one (README).
 */
class DeviceOptionTest {
    @TempDir
    Path dir;

    @AfterEach
    void backToCpu() {
        DjlRuntime.setDevice("cpu");
    }

    @Test
    void autoAndCpuPlaceEveryArrayOnTheCpuAndGiveTheDefaultNumbers() throws IOException {
        Path texts = Files.write(dir.resolve("t.txt"), List.of("the cat sat on the mat", "a dog ran in the park"));
        Path plain = dir.resolve("plain.safetensors");
        Path auto = dir.resolve("auto.safetensors");
        CliRun a = CliRun.of("activations", "--model", "src/test/resources/fixtures/tiny-qwen2", "--input", texts.toString(),
                "--layers", "all", "--out", plain.toString(), "-q");
        assertThat(a.exitCode()).as(a.err()).isZero();
        CliRun b = CliRun.of("activations", "--model", "src/test/resources/fixtures/tiny-qwen2", "--input", texts.toString(),
                "--layers", "all", "--device", "auto", "--out", auto.toString(), "-q");
        assertThat(b.exitCode()).as(b.err()).isZero();
        assertThat(DjlRuntime.device().isGpu()).as("no CUDA device here: auto is the CPU").isFalse();
        try (SafeTensors x = SafeTensors.open(plain); SafeTensors y = SafeTensors.open(auto)) {
            assertThat(y.floats("layer.2")).containsExactly(x.floats("layer.2"));
        }
        try (var m = DjlRuntime.manager()) {
            assertThat(m.getDevice()).isEqualTo(ai.djl.Device.cpu());
            assertThat(m.newSubManager().create(new float[] {1, 2}).getDevice()).as("sub-managers inherit the device")
                    .isEqualTo(ai.djl.Device.cpu());
        }
    }

    @Test
    void aDeviceTheEngineCannotSeeOrCannotNameIsExitTwo() throws IOException {
        Path texts = Files.write(dir.resolve("t.txt"), List.of("the cat sat on the mat"));
        CliRun cuda = CliRun.of("activations", "--input", texts.toString(), "--device", "cuda:1", "--out", dir.resolve("c.safetensors").toString());
        assertThat(cuda.exitCode()).isEqualTo(2);
        assertThat(cuda.err()).contains("--device", "cuda:1", "the engine sees 0 CUDA devices", "-Pcuda");
        assertThat(dir.resolve("c.safetensors")).doesNotExist();
        CliRun typo = CliRun.of("activations", "--input", texts.toString(), "--device", "gpu0", "--out", dir.resolve("d.safetensors").toString());
        assertThat(typo.exitCode()).isEqualTo(2);
        assertThat(typo.err()).contains("--device", "cpu, cuda, cuda:N or auto", "'gpu0'");
    }
}
