package tracelens.corpus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class LabelOrderTest {
    @Test
    void integersInNumericOrderNamesAsGiven() {
        assertThat(LabelOrder.order(List.of("10", "2", "-1", "9"))).containsExactly("-1", "2", "9", "10");
        assertThat(LabelOrder.order(List.of("pos", "neg"))).containsExactly("pos", "neg");
        assertThat(LabelOrder.order(List.of("1", "one"))).containsExactly("1", "one");
        assertThat(LabelOrder.mixed(List.of("1", "one"))).isTrue();
        assertThat(LabelOrder.mixed(List.of("1", "2"))).isFalse();
        assertThat(LabelOrder.order(List.of("99999999999999999999", "3"))).containsExactly("3", "99999999999999999999");
    }
}
