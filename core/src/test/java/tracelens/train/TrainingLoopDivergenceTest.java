package tracelens.train;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tracelens.error.NumericalFailureException;
import tracelens.nn.Parameters;
import tracelens.runtime.DjlRuntime;

/** A diverged step's error names the tensors whose gradients or weights hold the NaN and infinities, with counts. */
class TrainingLoopDivergenceTest {
    @Test
    void aNonFiniteGradientIsNamed() {
        try (NDManager m = DjlRuntime.manager()) {
            // loss = sum(w1 x) + sum(sqrt(w2)) at w2 = 0: the loss is finite, w2's gradient 1 / (2 sqrt 0) is infinite
            Parameters params = new Parameters().add("w1", m.create(new float[] {1, 2, 3})).add("w2", m.zeros(new ai.djl.ndarray.types.Shape(2)));
            NDArray x = m.create(new float[] {0.5f, -1, 2});
            TrainingLoop.StepLoss loss = (scope, rows) -> List.of(params.get("w1").mul(x).sum()
                    .add(params.get("w2").sqrt().sum()));
            assertThatThrownBy(() -> TrainingLoop.run(m, params, new Adam(m, params.trainable(), 0, 0), new int[] {0, 1, 2, 3},
                    new Random(1), TrainingLoop.Settings.of(1, 4, 1e-3), loss))
                    .isInstanceOf(NumericalFailureException.class)
                    .hasMessage("training diverged at step 1 (epoch 1): the gradient norm is Infinity; non-finite gradients in 1"
                            + " of 2 tensors, last parameter first: w2 (2 infinite of 2)");
        }
    }

    @Test
    void aNonFiniteWeightIsNamedWhenTheLossIsNotFinite() {
        try (NDManager m = DjlRuntime.manager()) {
            Parameters params = new Parameters().add("a", m.create(new float[] {1, Float.NaN, Float.POSITIVE_INFINITY}))
                    .add("b", m.create(new float[] {1, 2}));
            TrainingLoop.StepLoss loss = (scope, rows) -> List.of(params.get("a").sum().add(params.get("b").sum()));
            assertThatThrownBy(() -> TrainingLoop.run(m, params, new Adam(m, params.trainable(), 0, 0), new int[] {0, 1},
                    new Random(1), TrainingLoop.Settings.of(1, 2, 1e-3), loss))
                    .isInstanceOf(NumericalFailureException.class)
                    .hasMessage("training diverged at step 1 (epoch 1): loss NaN; non-finite weights in 1 of 2 tensors, last"
                            + " parameter first: a (1 NaN, 1 infinite of 3)");
        }
    }

    @Test
    void manyTensorsAreListedLastFirstAndCutAfterFive() {
        try (NDManager m = DjlRuntime.manager()) {
            Parameters params = new Parameters();
            for (int i = 0; i < 7; i++) {
                params.add("p" + i, m.zeros(new ai.djl.ndarray.types.Shape(1)));
            }
            TrainingLoop.StepLoss loss = (scope, rows) -> {
                NDArray sum = params.get("p0").sqrt();
                for (int i = 1; i < 7; i++) {
                    sum = sum.add(params.get("p" + i).sqrt());
                }
                return List.of(sum.sum());
            };
            assertThatThrownBy(() -> TrainingLoop.run(m, params, new Adam(m, params.trainable(), 0, 0), new int[] {0},
                    new Random(1), TrainingLoop.Settings.of(1, 1, 1e-3), loss))
                    .hasMessageEndingWith("non-finite gradients in 7 of 7 tensors, last parameter first: p6 (1 infinite of 1),"
                            + " p5 (1 infinite of 1), p4 (1 infinite of 1), p3 (1 infinite of 1), p2 (1 infinite of 1), ...");
        }
    }
}
