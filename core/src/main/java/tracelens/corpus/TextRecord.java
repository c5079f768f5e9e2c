package tracelens.corpus;

/** One input text, with its source label if the input names one, and the line it started on (1-based). */
public record TextRecord(String text, String source, long line) {}
