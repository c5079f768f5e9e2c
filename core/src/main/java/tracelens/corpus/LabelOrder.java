package tracelens.corpus;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The order in which label names become class indices. Integer labels keep their numeric order, so a file labelled
 * 0/1 gets classes 0 and 1 whatever comes first (labels 1,0,1 were renumbered 0,1,0) and 10 sorts after 9; other
 * names keep the order given (first appearance, or the caller's sort).
 */
public final class LabelOrder {
    private LabelOrder() {}

    /** Whether every name is an integer (optionally signed, no spaces). */
    public static boolean allIntegers(Collection<String> names) {
        return !names.isEmpty() && names.stream().allMatch(LabelOrder::isInteger);
    }

    /** Whether some names are integers and some are not (worth a note: "1" and "one" are two classes). */
    public static boolean mixed(Collection<String> names) {
        long ints = names.stream().filter(LabelOrder::isInteger).count();
        return ints > 0 && ints < names.size();
    }

    /** The names in class order: numeric when all are integers, else as given. */
    public static List<String> order(Collection<String> names) {
        List<String> out = new ArrayList<>(names);
        if (allIntegers(names)) {
            out.sort(Comparator.comparing(BigInteger::new));
        }
        return out;
    }

    private static boolean isInteger(String s) {
        return s.matches("[+-]?\\d+");
    }
}
