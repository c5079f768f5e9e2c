package tracelens.corpus;

/** A whole document with its source (e.g. one State of the Union address by one president). */
public record Document(String id, String source, String text) {}
