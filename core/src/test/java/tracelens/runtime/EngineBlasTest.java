package tracelens.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.sun.jna.Memory;
import org.junit.jupiter.api.Test;

/** The engine's MKL dsyrk through JNA: hand-computed AᵀA, accumulation, a row view with an offset, bad arguments. */
class EngineBlasTest {
    @Test
    void upperTriangleOfATransposeAByHand() {
        assertThat(EngineBlas.available()).as("the pinned engine's MKL exports dsyrk").isTrue();
        try (NDManager m = DjlRuntime.manager(); Memory c = EngineBlas.matrix(2)) {
            // rows (1, 2), (3, 4), (5, 6): AᵀA = [[35, 44], [44, 56]]
            NDArray a = m.create(new double[] {9, 9, 1, 2, 3, 4, 5, 6}, new Shape(4, 2));
            NDArray rows = a.get("1:"); // a view starting one row in: the engine's memory at an offset
            EngineBlas.syrkUpper(rows, c, 2);
            assertThat(EngineBlas.symmetric(c, 2)).containsExactly(35, 44, 44, 56);
            EngineBlas.syrkUpper(rows, c, 2); // beta = 1: accumulates
            assertThat(EngineBlas.symmetric(c, 2)).containsExactly(70, 88, 88, 112);
            assertThatThrownBy(() -> EngineBlas.syrkUpper(rows.toType(DataType.FLOAT32, false), c, 2))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("float64");
            assertThatThrownBy(() -> EngineBlas.syrkUpper(rows, c, 3)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
