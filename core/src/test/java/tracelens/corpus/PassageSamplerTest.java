package tracelens.corpus;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class PassageSamplerTest {
    static String words(String prefix, int n) {
        return IntStream.range(0, n).mapToObj(i -> prefix + i).collect(Collectors.joining(" "));
    }

    @Test
    void chunksAreConsecutiveAndDropThePartialTail() {
        assertThat(PassageSampler.chunks("a b  c\nd e f g", 3)).containsExactly("a b c", "d e f");
        assertThat(PassageSampler.chunks("a b", 3)).isEmpty();
    }

    @Test
    void splitIsByDocumentAndSeeded() {
        List<Document> docs = List.of(
                new Document("d0", "A", words("a0_", 100)), new Document("d1", "A", words("a1_", 100)),
                new Document("d2", "A", words("a2_", 100)), new Document("d3", "B", words("b0_", 100)),
                new Document("d4", "B", words("b1_", 100)), new Document("d5", "C", words("c0_", 100)));
        List<PassageSampler.Passage> p = sample(docs, 1);
        assertThat(p).extracting(PassageSampler.Passage::source).doesNotContain("C"); // one document only
        Set<String> trainDocs = p.stream().filter(x -> !x.test()).map(PassageSampler.Passage::document).collect(Collectors.toSet());
        Set<String> testDocs = p.stream().filter(PassageSampler.Passage::test).map(PassageSampler.Passage::document).collect(Collectors.toSet());
        assertThat(trainDocs).doesNotContainAnyElementsOf(testDocs);
        assertThat(testDocs).containsExactlyInAnyOrder("d1", "d4");
        assertThat(p.stream().filter(x -> x.source().equals("A") && !x.test())).hasSize(5);
        assertThat(p.stream().filter(x -> x.source().equals("A") && x.test())).hasSize(3);
        assertThat(sample(docs, 1)).isEqualTo(p);
        assertThat(sample(docs, 2)).isNotEqualTo(p);
    }

    static List<PassageSampler.Passage> sample(List<Document> docs, long seed) {
        return PassageSampler.sample(docs, new PassageSampler.Options(10, 8, 2, 100, PassageSampler.Split.DOCUMENT, 3.0 / 8, seed)).passages();
    }

    @Test
    void chunkSplitIsStratifiedAndSkipsSmallSources() {
        List<Document> docs = List.of(new Document("a", "A", words("a", 100)), new Document("b", "B", words("b", 100)),
                new Document("c", "C", words("c", 15)));
        var s = PassageSampler.sample(docs, new PassageSampler.Options(10, 10, 3, 100, PassageSampler.Split.CHUNK, 0.3, 7));
        assertThat(s.sources()).containsExactly("A", "B");
        assertThat(s.skipped()).singleElement().asString().contains("C (1 passages");
        assertThat(s.passages().stream().filter(x -> x.source().equals("A") && x.test())).hasSize(3);
        assertThat(s.passages().stream().filter(x -> x.source().equals("A") && !x.test())).hasSize(7);
        assertThat(s.passages().stream().map(PassageSampler.Passage::text).distinct()).hasSize(20);
    }
}
