package tracelens.cli;

import java.util.Arrays;
import java.util.Locale;
import tracelens.error.InvalidInputException;

/** An option whose value names an enum constant, case-insensitively, with '-' for '_' (token-row = TOKEN_ROW). */
final class Choice {
    private Choice() {}

    static <E extends Enum<E>> E of(Class<E> type, String option, String value) {
        for (E e : type.getEnumConstants()) {
            if (name(e).equalsIgnoreCase(value)) {
                return e;
            }
        }
        throw new InvalidInputException(option + " must be one of " + Arrays.stream(type.getEnumConstants()).map(Choice::name).toList()
                + ", found '" + value + "'");
    }

    static String name(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
