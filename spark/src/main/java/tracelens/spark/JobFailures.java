package tracelens.spark;

import tracelens.error.InvalidInputException;

/** A job that failed because of its input reports that input error (exit 2), not Spark's wrapper (exit 1). */
final class JobFailures {
    private JobFailures() {}

    static RuntimeException unwrap(Exception e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InvalidInputException bad) {
                return bad;
            }
            if (t instanceof tracelens.error.NumericalFailureException num) {
                return num;
            }
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException(e.getMessage(), e);
    }
}
