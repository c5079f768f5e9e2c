package tracelens.error;

import java.nio.file.Path;

/** Input that cannot be used as given: the message names the file, line or field and what was expected. */
public class InvalidInputException extends TracelensException {
    private final String field;

    public InvalidInputException(String message) {
        super(message);
        this.field = null;
    }

    private InvalidInputException(String field, String rest) {
        super(field + rest);
        this.field = field;
    }

    /**
     * An error about a logical setting, e.g. {@code field("max_length", " must be at least 2, found 1")}: the library
     * names its own fields (snake_case); the command line shows the flag that sets it ({@code --max-length}) instead.
     */
    public static InvalidInputException field(String field, String rest) {
        return new InvalidInputException(field, rest);
    }

    /** The logical setting the error is about, or null. */
    public String field() {
        return field;
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
        this.field = null;
    }

    /** "{@code file}: {@code where}: {@code what}", the one-line form every reader uses. */
    public static InvalidInputException at(Path file, String where, String what) {
        return new InvalidInputException(file + ": " + where + ": " + what);
    }

    public static InvalidInputException at(Path file, String what) {
        return new InvalidInputException(file + ": " + what);
    }
}
