package tracelens.activations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import tracelens.model.TextTokenizer;
import tracelens.model.TokenBatch;

class LayerSelectionTest {
    @Test
    void parsesAllListsRangesAndNegatives() {
        assertThat(LayerSelection.parse("all", 6)).containsExactly(0, 1, 2, 3, 4, 5, 6);
        assertThat(LayerSelection.parse("0, 3-5", 6)).containsExactly(0, 3, 4, 5);
        assertThat(LayerSelection.parse("-1,0,-1", 6)).containsExactly(0, 6);
        assertThat(LayerSelection.parse("-3--1", 6)).containsExactly(4, 5, 6);
        assertThatThrownBy(() -> LayerSelection.parse("7", 6)).hasMessageContaining("out of range");
        assertThatThrownBy(() -> LayerSelection.parse("x", 6)).hasMessageContaining("'x' is not a layer index");
        assertThatThrownBy(() -> LayerSelection.parse("5-2", 6)).hasMessageContaining("empty");
    }

    @Test
    void poolingWeightsIgnorePaddingOnEitherSide() {
        List<TextTokenizer.Tokens> rows = List.of(new TextTokenizer.Tokens(new long[] {5, 6, 7}, new long[3], false),
                new TextTokenizer.Tokens(new long[] {8}, new long[1], false));
        TokenBatch right = TokenBatch.of(rows, 0, false);
        assertThat(Pooling.MEAN.weights(right)).containsExactly(1f / 3, 1f / 3, 1f / 3, 1, 0, 0);
        assertThat(Pooling.CLS.weights(right)).containsExactly(1, 0, 0, 1, 0, 0);
        assertThat(Pooling.LAST.weights(right)).containsExactly(0, 0, 1, 1, 0, 0);
        TokenBatch left = TokenBatch.of(rows, 0, true);
        assertThat(left.ids()).containsExactly(5, 6, 7, 0, 0, 8);
        assertThat(Pooling.MEAN.weights(left)).containsExactly(1f / 3, 1f / 3, 1f / 3, 0, 0, 1);
        assertThat(Pooling.CLS.weights(left)).containsExactly(1, 0, 0, 0, 0, 1);
        assertThat(Pooling.LAST.weights(left)).containsExactly(0, 0, 1, 0, 0, 1);
    }
}
