package tracelens.error;

/** A model name, architecture or checkpoint layout that tracelens does not read. */
public class UnsupportedModelException extends TracelensException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
