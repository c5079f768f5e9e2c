package tracelens.error;

/** NaN or infinity where a finite number is required (in inputs or in a computation's result). */
public class NumericalFailureException extends TracelensException {
    public NumericalFailureException(String message) {
        super(message);
    }
}
