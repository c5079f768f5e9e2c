package tracelens.error;

/**
 * Root of the errors a user can cause and fix: bad files, fields, values or model folders. The CLI maps
 * every subclass to exit code 2; anything else escaping a command is a bug (exit code 1).
 */
public class TracelensException extends RuntimeException {
    public TracelensException(String message) {
        super(message);
    }

    public TracelensException(String message, Throwable cause) {
        super(message, cause);
    }
}
