package tracelens.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import tracelens.corpus.PassageSampler;
import tracelens.corpus.SotuCorpus;
import tracelens.corpus.SourceCorpus;
import tracelens.corpus.TextColumns;
import tracelens.runtime.DjlRuntime;

/** Which labelled texts SIP reads and how it samples and splits them: shared by the sip commands. */
public final class CorpusOptions {
    @Option(names = "--corpus", paramLabel = "sotu|PATH", description = "The labelled texts (required but for 'sip identify --identifier').")
    String corpus;

    @Option(names = "--words", defaultValue = "64", paramLabel = "N", description = "Words per passage; 0 = whole documents. (default: ${DEFAULT-VALUE})")
    int words;

    @Option(names = "--samples-per-source", defaultValue = "40", paramLabel = "N", description = "Passages per source, train and test together. (default: ${DEFAULT-VALUE})")
    int samplesPerSource;

    @Option(names = "--min-samples", defaultValue = "10", paramLabel = "N", description = "Sources with fewer passages are skipped and reported. (default: ${DEFAULT-VALUE})")
    int minSamples;

    @Option(names = "--max-sources", defaultValue = "100", paramLabel = "K", description = "Keep the first K sources (corpus order; folders sorted by name). (default: ${DEFAULT-VALUE})")
    int maxSources;

    @Option(names = "--split", defaultValue = "chunk", paramLabel = "chunk|document",
            description = "Hold out passages (chunk) or whole documents (document; every 4th of a source). (default: ${DEFAULT-VALUE})")
    String split;

    @Option(names = "--test-fraction", defaultValue = "0.3", paramLabel = "F", description = "Share of a source's passages held out. (default: ${DEFAULT-VALUE})")
    double testFraction;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Sampling, initialisation and shuffling seed. (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--text-column", defaultValue = "text", paramLabel = "NAME", description = "Text field or column of a .jsonl/.csv/.tsv corpus. (default: ${DEFAULT-VALUE})")
    String textColumn;

    @Option(names = "--source-column", paramLabel = "NAME", description = "Source field or column (default: 'source', else 'label').")
    String sourceColumn;

    @Option(names = "--source-field", defaultValue = "president", paramLabel = "president|party|address",
            description = "What labels the built-in sotu corpus. (default: ${DEFAULT-VALUE})")
    String sourceField;

    @Option(names = "--cache", paramLabel = "DIR", description = "Cache folder for the built-in corpus (default: $TRACELENS_CACHE or ~/.cache/tracelens).")
    Path cache;

    @Option(names = "--pg19-books", defaultValue = "100", paramLabel = "N",
            description = "PG19 folders: the first N books of train/ in name order, as the original. (default: ${DEFAULT-VALUE})")
    int pg19Books;

    @Option(names = "--pg19-lines", defaultValue = "256", paramLabel = "L",
            description = "PG19 folders: read up to L + 1 lines a book and keep books with more than L lines, as the original;"
                    + " 0 reads whole books and keeps all. (default: ${DEFAULT-VALUE})")
    int pg19Lines;

    /** The sampling settings, recorded beside a cache so that it says how its samples were drawn. */
    java.util.Map<String, String> describe() {
        java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("corpus", corpus);
        m.put("words", String.valueOf(words));
        m.put("samples_per_source", String.valueOf(samplesPerSource));
        m.put("min_samples", String.valueOf(minSamples));
        m.put("max_sources", String.valueOf(maxSources));
        m.put("split", split);
        m.put("test_fraction", String.valueOf(testFraction));
        m.put("seed", String.valueOf(seed));
        if (SourceCorpus.isPg19(corpus)) {
            m.put("pg19_books", String.valueOf(pg19Books));
            m.put("pg19_lines", String.valueOf(pg19Lines));
        }
        return m;
    }

    /**
     * For commands that hold out passages per source (sip run, sip identify): one sample per source cannot be split,
     * which only sip gather + sip train --split token-row can use.
     */
    PassageSampler.Sample heldOutSample() {
        if (samplesPerSource < 2) {
            throw new tracelens.error.InvalidInputException("--samples-per-source " + samplesPerSource + ": this command holds out"
                    + " passages of every source, so it needs at least 2; one sample per source (the successor setup) works with"
                    + " 'sip gather' and 'sip train --split token-row'");
        }
        return sample();
    }

    PassageSampler.Sample sample() {
        if (corpus == null) {
            throw new tracelens.error.InvalidInputException("Missing required option: '--corpus=sotu|PATH'");
        }
        var docs = SourceCorpus.read(corpus, new TextColumns(textColumn, sourceColumn), SotuCorpus.parseField(sourceField),
                cache != null ? cache : DjlRuntime.cacheRoot(), new SourceCorpus.Pg19(pg19Books, pg19Lines));
        return PassageSampler.sample(docs, new PassageSampler.Options(words, samplesPerSource, minSamples, maxSources,
                PassageSampler.Split.parse(split), testFraction, seed));
    }
}
