package tracelens.corpus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Cuts documents into passages of {@code words} whitespace words (consecutive, non-overlapping; the trailing
 * partial chunk is dropped) and splits them by document, so no document contributes to both train and test.
 * Per source, every fourth document (positions 1, 5, 9, ... in document order) is held out; sources with fewer
 * than two documents are dropped. Passage choice is seeded.
 */
public final class PassageSampler {
    /** A passage of a document, with its source and split. */
    public record Passage(String text, String source, String document, boolean test) {}

    private PassageSampler() {}

    public static List<Passage> sample(List<Document> documents, int words, int trainPerSource, int testPerSource, long seed) {
        Map<String, List<Document>> bySource = new LinkedHashMap<>();
        for (Document d : documents) {
            bySource.computeIfAbsent(d.source(), k -> new ArrayList<>()).add(d);
        }
        Random random = new Random(seed);
        List<Passage> out = new ArrayList<>();
        for (Map.Entry<String, List<Document>> e : bySource.entrySet()) {
            List<Document> docs = e.getValue();
            if (docs.size() < 2) {
                continue;
            }
            List<Passage> train = new ArrayList<>();
            List<Passage> test = new ArrayList<>();
            for (int i = 0; i < docs.size(); i++) {
                boolean held = i % 4 == 1;
                for (String chunk : chunks(docs.get(i).text(), words)) {
                    (held ? test : train).add(new Passage(chunk, e.getKey(), docs.get(i).id(), held));
                }
            }
            Collections.shuffle(train, random);
            Collections.shuffle(test, random);
            out.addAll(train.subList(0, Math.min(trainPerSource, train.size())));
            out.addAll(test.subList(0, Math.min(testPerSource, test.size())));
        }
        return out;
    }

    /** Consecutive chunks of exactly {@code words} words. */
    public static List<String> chunks(String text, int words) {
        String[] w = text.trim().split("\\s+");
        List<String> out = new ArrayList<>();
        for (int from = 0; from + words <= w.length; from += words) {
            out.add(String.join(" ", java.util.Arrays.copyOfRange(w, from, from + words)));
        }
        return out;
    }
}
