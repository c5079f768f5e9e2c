package tracelens.corpus;

/**
 * Which fields of a JSONL object or CSV/TSV header hold the text and the source label. A null source means
 * "detect": a field named {@code source}, else {@code label}, is used when present.
 */
public record TextColumns(String text, String source) {
    public static final TextColumns DEFAULT = new TextColumns("text", null);

    static final String[] SOURCE_NAMES = {"source", "label"};
}
