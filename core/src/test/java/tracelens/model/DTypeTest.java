package tracelens.model;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.FloatRange;
import org.junit.jupiter.api.Test;

class DTypeTest {
    /** Bit patterns from IEEE 754-2008 binary16 (e.g. the Wikipedia "Half-precision" examples table). */
    @Test
    void halfKnownValues() {
        assertThat(DType.halfToFloat((short) 0x3C00)).isEqualTo(1.0f);
        assertThat(DType.halfToFloat((short) 0xC000)).isEqualTo(-2.0f);
        assertThat(DType.halfToFloat((short) 0x7BFF)).isEqualTo(65504f);
        assertThat(DType.halfToFloat((short) 0x0001)).isEqualTo((float) Math.pow(2, -24));
        assertThat(DType.halfToFloat((short) 0x0400)).isEqualTo((float) Math.pow(2, -14));
        assertThat(DType.halfToFloat((short) 0x3555)).isEqualTo(0.333251953125f);
        assertThat(DType.halfToFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(DType.halfToFloat((short) 0x8000)).isEqualTo(-0.0f);
        assertThat(Float.isNaN(DType.halfToFloat((short) 0x7E00))).isTrue();
        assertThat(DType.floatToHalf(1.0f)).isEqualTo((short) 0x3C00);
        assertThat(DType.floatToHalf(65520f)).as("rounds to infinity").isEqualTo((short) 0x7C00);
        assertThat(DType.floatToHalf(1f / 3)).isEqualTo((short) 0x3555);
    }

    @Test
    void everyHalfPatternRoundTrips() {
        for (int h = 0; h < 0x10000; h++) {
            float f = DType.halfToFloat((short) h);
            if (!Float.isNaN(f)) {
                assertThat(DType.floatToHalf(f) & 0xFFFF).as("half 0x%04x", h).isEqualTo(h);
            }
        }
    }

    @Test
    void bulkWideningEqualsTheScalarConversionForEveryPattern() {
        java.nio.ByteBuffer src = java.nio.ByteBuffer.allocateDirect(2 * 0x10000 + 2).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        src.putShort((short) 0x1234); // an offset start, as a tensor inside a file
        for (int h = 0; h < 0x10000; h++) {
            src.putShort((short) h);
        }
        for (boolean bf16 : new boolean[] {false, true}) {
            src.position(2);
            java.nio.ByteBuffer out = java.nio.ByteBuffer.allocateDirect(4 * 0x10000).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            DType.widen(src, out, bf16);
            assertThat(src.remaining()).isZero();
            assertThat(out.remaining()).isZero();
            for (int h = 0; h < 0x10000; h++) {
                float want = bf16 ? DType.bf16ToFloat((short) h) : DType.halfToFloat((short) h);
                assertThat(Float.floatToRawIntBits(out.getFloat(4 * h))).as("0x%04x", h).isEqualTo(Float.floatToRawIntBits(want));
            }
        }
    }

    @Test
    void bf16IsTheUpperHalfOfF32() {
        assertThat(DType.bf16ToFloat((short) 0x3F80)).isEqualTo(1.0f);
        assertThat(DType.bf16ToFloat((short) 0xC040)).isEqualTo(-3.0f);
        assertThat(DType.bf16ToFloat((short) (Float.floatToIntBits(3.140625f) >>> 16))).isEqualTo(3.140625f);
    }

    @Property(tries = 2000)
    void halfRoundingIsWithinHalfAnUlp(@ForAll @FloatRange(min = -60000f, max = 60000f) float x) {
        float back = DType.halfToFloat(DType.floatToHalf(x));
        double ulp = Math.abs(x) >= 6.1035156e-5 ? Math.pow(2, Math.getExponent(x) - 10) : Math.pow(2, -24);
        assertThat((double) Math.abs(back - x)).isLessThanOrEqualTo(ulp / 2);
    }
}
