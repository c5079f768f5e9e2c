package tracelens.error;

import java.nio.file.Path;

/** Input that cannot be used as given: the message names the file, line or field and what was expected. */
public class InvalidInputException extends TracelensException {
    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }

    /** "{@code file}: {@code where}: {@code what}", the one-line form every reader uses. */
    public static InvalidInputException at(Path file, String where, String what) {
        return new InvalidInputException(file + ": " + where + ": " + what);
    }

    public static InvalidInputException at(Path file, String what) {
        return new InvalidInputException(file + ": " + what);
    }
}
