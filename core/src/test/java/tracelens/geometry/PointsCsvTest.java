package tracelens.geometry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;

/** Points CSV cells (issue 15): plain decimals only, a byte-order mark accepted as text inputs accept it. */
class PointsCsvTest {
    @TempDir
    Path dir;

    @Test
    void decimalsAndABomAreReadJavaOnlyLiteralsAreNot() throws Exception {
        Path ok = Files.writeString(dir.resolve("ok.csv"), "\uFEFF1e-3,-.5\n+2.,3\n");
        assertThat(PointsCsv.read(ok)).isDeepEqualTo(new double[][] {{1e-3, -0.5}, {2, 3}});
        for (String cell : new String[] {"1f", "0x1p3", "2d", "1_000"}) {
            Path bad = Files.writeString(dir.resolve("bad.csv"), "1,2\n3," + cell + "\n");
            assertThatThrownBy(() -> PointsCsv.read(bad)).as(cell).isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("row 2, column 2").hasMessageContaining(cell);
        }
        Path nan = Files.writeString(dir.resolve("nan.csv"), "1,nan\n");
        assertThatThrownBy(() -> PointsCsv.read(nan)).hasMessageContaining("finite");
    }
}
