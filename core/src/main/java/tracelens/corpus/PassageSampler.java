package tracelens.corpus;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import tracelens.error.InvalidInputException;

/**
 * Turns labelled documents into SIP samples: passages of {@code words} whitespace words (consecutive,
 * non-overlapping, the trailing partial chunk dropped; 0 = whole documents), up to {@code samplesPerSource} per
 * source (seeded random choice), and a train/test split that never puts one passage on both sides:
 * <ul>
 *   <li>{@link Split#CHUNK}: per source, a stratified {@code testFraction} of its passages (at least one each side);
 *   <li>{@link Split#DOCUMENT}: per source, every fourth document (positions 1, 5, 9, ...) is held out whole, so
 *       test passages come from documents never seen in training; sources with one document are dropped.
 * </ul>
 * Sources are kept in order of first appearance; those with fewer than {@code minSamples} passages are dropped
 * and reported, and only the first {@code maxSources} of the rest are kept.
 */
public final class PassageSampler {
    public enum Split { CHUNK, DOCUMENT;
        public static Split parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw InvalidInputException.field("split", " must be chunk or document, found '" + s + "'");
            }
        }
    }

    public record Options(int words, int samplesPerSource, int minSamples, int maxSources, Split split, double testFraction, long seed) {
        public Options {
            if (words < 0 || samplesPerSource < 1 || minSamples < 0 || maxSources < 2 || !(testFraction > 0 && testFraction < 1)) {
                throw InvalidInputException.field("words", " >= 0, --samples-per-source >= 1, --max-sources >= 2 and a test fraction in (0, 1) are required");
            }
        }
    }

    /** A passage of a document, with its source and split. */
    public record Passage(String text, String source, String document, boolean test) {}

    /** The samples, and what was left out and why. */
    public record Sample(List<Passage> passages, List<String> sources, List<String> skipped, int duplicateTexts) {
        /** What a user should be told about the sample: skipped sources, texts repeated across sources. */
        public List<String> notes() {
            List<String> out = new java.util.ArrayList<>();
            skipped.forEach(s -> out.add("skipped source " + s));
            if (duplicateTexts > 0) {
                out.add(duplicateTexts + " samples repeat a text found under another source");
            }
            return out;
        }
    }

    private PassageSampler() {}

    public static Sample sample(List<Document> documents, Options o) {
        Map<String, List<Document>> bySource = new LinkedHashMap<>();
        for (Document d : documents) {
            bySource.computeIfAbsent(d.source(), k -> new ArrayList<>()).add(d);
        }
        Random random = new Random(o.seed());
        List<Passage> out = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (Map.Entry<String, List<Document>> e : bySource.entrySet()) {
            if (kept.size() == o.maxSources()) {
                break;
            }
            List<Document> docs = e.getValue();
            if (o.split() == Split.DOCUMENT && docs.size() < 2) {
                skipped.add(e.getKey() + " (one document: nothing to hold out)");
                continue;
            }
            List<Passage> train = new ArrayList<>();
            List<Passage> test = new ArrayList<>();
            for (int i = 0; i < docs.size(); i++) {
                boolean held = o.split() == Split.DOCUMENT && i % 4 == 1;
                for (String chunk : o.words() == 0 ? List.of(docs.get(i).text().strip()) : chunks(docs.get(i).text(), o.words())) {
                    if (!chunk.isEmpty()) {
                        (held ? test : train).add(new Passage(chunk, e.getKey(), docs.get(i).id(), held));
                    }
                }
            }
            int available = train.size() + test.size();
            // one sample per source (the successor setup) needs one passage, whatever --min-samples says
            int least = o.samplesPerSource() == 1 ? 1 : Math.max(2, o.minSamples());
            if (available < least) {
                skipped.add(e.getKey() + " (" + available + " passages, fewer than --min-samples " + least + ")");
                continue;
            }
            Collections.shuffle(train, random);
            Collections.shuffle(test, random);
            if (o.samplesPerSource() == 1) { // the successor setup: one sample per source, split later by token rows
                Passage p = (train.isEmpty() ? test : train).get(0);
                out.add(new Passage(p.text(), p.source(), p.document(), false));
            } else if (o.split() == Split.DOCUMENT) {
                int nTest = Math.max(1, (int) Math.round(o.samplesPerSource() * o.testFraction()));
                out.addAll(train.subList(0, Math.min(o.samplesPerSource() - Math.min(nTest, test.size()), train.size())));
                out.addAll(test.subList(0, Math.min(nTest, test.size())));
            } else {
                List<Passage> all = train.subList(0, Math.min(o.samplesPerSource(), train.size()));
                int nTest = Math.min(all.size() - 1, Math.max(1, (int) Math.round(all.size() * o.testFraction())));
                for (int i = 0; i < all.size(); i++) {
                    Passage p = all.get(i);
                    out.add(i < nTest ? new Passage(p.text(), p.source(), p.document(), true) : p);
                }
            }
            kept.add(e.getKey());
        }
        if (kept.size() < 2) {
            throw new InvalidInputException("source identification needs at least 2 sources with enough passages; found "
                    + kept.size() + (skipped.isEmpty() ? "" : " (skipped: " + String.join("; ", skipped) + ")"));
        }
        Map<String, String> firstSource = new HashMap<>();
        int duplicates = 0;
        for (Passage p : out) {
            String prev = firstSource.putIfAbsent(p.text(), p.source());
            if (prev != null && !prev.equals(p.source())) {
                duplicates++;
            }
        }
        return new Sample(out, kept, skipped, duplicates);
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
