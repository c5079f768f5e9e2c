package tracelens.corpus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourceCorpusTest {
    @TempDir
    Path dir;

    List<Document> read(Path p) {
        return SourceCorpus.read(p.toString(), TextColumns.DEFAULT, SotuCorpus.SourceField.PRESIDENT, dir);
    }

    @Test
    void folderOfFilesOrSubfolders() throws IOException {
        Path flat = Files.createDirectory(dir.resolve("flat"));
        Files.writeString(flat.resolve("b.txt"), "bee text");
        Files.writeString(flat.resolve("a.txt"), "ay text");
        Files.writeString(flat.resolve("notes.md"), "ignored");
        assertThat(read(flat)).extracting(Document::source).containsExactly("a", "b");
        Path nested = Files.createDirectory(dir.resolve("nested"));
        Files.createDirectories(nested.resolve("austen"));
        Files.createDirectories(nested.resolve("dickens"));
        Files.writeString(nested.resolve("austen/emma.txt"), "Emma Woodhouse");
        Files.writeString(nested.resolve("austen/persuasion.txt"), "Sir Walter Elliot");
        Files.writeString(nested.resolve("dickens/bleak.txt"), "London. Michaelmas term");
        assertThat(read(nested)).extracting(Document::source).containsExactly("austen", "austen", "dickens");
    }

    @Test
    void wikitextArticlesAreSources() throws IOException {
        Path f = Files.writeString(dir.resolve("wiki.txt"), """
                 = Valkyria Chronicles III =\s
                \s
                 Senjō no Valkyria 3 is a tactical role @-@ playing video game .\s
                 = = Gameplay = =\s
                 As with previous games .\s
                 = Tower Building of the Little Rock Arsenal =\s
                 The Tower Building is a building .\s
                """);
        List<Document> docs = read(f);
        assertThat(docs).extracting(Document::source).containsExactly("Valkyria Chronicles III", "Tower Building of the Little Rock Arsenal");
        assertThat(docs.get(0).text()).contains("@-@ playing", "= = Gameplay = =", "previous games");
        Path plain = Files.writeString(dir.resolve("plain.txt"), "no titles here\n");
        assertThatThrownBy(() -> read(plain)).hasMessageContaining("no article titles");
    }

    @Test
    void pg19BooksAreSourcesNamedByTitle() throws IOException {
        Path pg = Files.createDirectories(dir.resolve("pg19/train"));
        Files.writeString(dir.resolve("pg19/metadata.csv"), "10,The Bible,1611\n20,\"Moby Dick\",1851\n");
        Files.writeString(pg.resolve("20.txt"), "Call me Ishmael.\nChapter 1:2 and 3 4 -- whale!\n");
        Files.writeString(pg.resolve("10.txt"), "In the beginning\n");
        List<Document> docs = SourceCorpus.read(dir.resolve("pg19").toString(), TextColumns.DEFAULT, SotuCorpus.SourceField.PRESIDENT, dir,
                new SourceCorpus.Pg19(100, 0)); // whole books, all kept
        assertThat(docs).extracting(Document::source).containsExactly("The Bible", "Moby Dick");
        // the spec deletes number pairs after joining words with single spaces, so two spaces remain where they were
        assertThat(docs.get(1).text()).isEqualTo("Call me Ishmael. Chapter  and  whale");
        assertThat(SourceCorpus.pg19Clean("verse 3:16 says 1 2 go")).isEqualTo("verse  says  go");
    }

    @Test
    void pg19SelectionIsTheOriginals() throws IOException {
        // sip.md §1.2: the first N files in name order, read until more than 256 lines, kept only past 256 lines
        Path pg = Files.createDirectories(dir.resolve("pg/train"));
        Files.writeString(dir.resolve("pg/metadata.csv"), "");
        for (int[] book : new int[][] {{1, 300}, {2, 256}, {3, 257}, {4, 400}}) {
            StringBuilder b = new StringBuilder();
            for (int i = 1; i <= book[1]; i++) {
                b.append("w").append(i).append('\n');
            }
            Files.writeString(pg.resolve("b" + book[0] + ".txt"), b);
        }
        List<Document> docs = SourceCorpus.read(dir.resolve("pg").toString(), TextColumns.DEFAULT, SotuCorpus.SourceField.PRESIDENT, dir,
                SourceCorpus.Pg19.ORIGINAL);
        assertThat(docs).extracting(Document::source).containsExactly("b1", "b3", "b4"); // b2 has only 256 lines
        for (Document d : docs) {
            String[] words = d.text().split(" ");
            assertThat(words).hasSize(257);
            assertThat(words[256]).isEqualTo("w257");
        }
        List<Document> firstTwo = SourceCorpus.read(dir.resolve("pg").toString(), TextColumns.DEFAULT, SotuCorpus.SourceField.PRESIDENT, dir,
                new SourceCorpus.Pg19(2, 256));
        assertThat(firstTwo).extracting(Document::source).containsExactly("b1"); // of b1 and b2, only b1 is long enough
    }

    @Test
    void extremeClassificationTextsBelongToEveryLabelTheyCarry() throws IOException {
        Path xml = Files.createDirectories(dir.resolve("xml"));
        Files.writeString(xml.resolve("texts.txt"), "apple pie recipe\nbanana bread\napple banana smoothie\n");
        Files.writeString(xml.resolve("labels.txt"), "3 4\n2:1.0\n3:1.0\n2:1.0 3:1.0\n");
        Files.writeString(xml.resolve("label_names.txt"), "zero\none\napples\nbananas\n");
        List<Document> docs = read(xml);
        assertThat(docs).extracting(Document::source).containsExactly("apples", "apples", "bananas", "bananas");
        assertThat(docs).extracting(Document::text).containsExactly("apple pie recipe", "apple banana smoothie", "banana bread",
                "apple banana smoothie");
        var sample = PassageSampler.sample(docs, new PassageSampler.Options(0, 5, 2, 10, PassageSampler.Split.CHUNK, 0.5, 1));
        assertThat(sample.duplicateTexts()).as("the multi-label text is reported").isEqualTo(1);
        Files.writeString(xml.resolve("labels.txt"), "4 4\n2:1.0\n");
        assertThatThrownBy(() -> read(xml)).hasMessageContaining("labels.txt").hasMessageContaining("header says 4 points");
    }

    /** issue 13: the repository's own file names, train then test part, label names from Y.txt. */
    @Test
    void extremeClassificationRepositoryFileNames() throws IOException {
        Path xml = Files.createDirectories(dir.resolve("LF-Toy-4"));
        Files.writeString(xml.resolve("trn_X.txt"), "apple pie recipe\nbanana bread\n");
        Files.writeString(xml.resolve("trn_X_Y.txt"), "2 4\n2:1.0\n3:1.0\n");
        Files.writeString(xml.resolve("tst_X.txt"), "apple banana smoothie\n");
        Files.writeString(xml.resolve("tst_X_Y.txt"), "1 4\n2:1.0 3:1.0\n");
        Files.writeString(xml.resolve("Y.txt"), "zero\none\napples\nbananas\n");
        List<Document> docs = read(xml);
        assertThat(docs).extracting(Document::source).containsExactly("apples", "apples", "bananas", "bananas");
        assertThat(docs).extracting(Document::text).containsExactly("apple pie recipe", "apple banana smoothie", "banana bread",
                "apple banana smoothie");
        assertThat(docs).extracting(Document::id).containsExactly("trn_X.txt line 1", "tst_X.txt line 1", "trn_X.txt line 2",
                "tst_X.txt line 1");
        Files.writeString(xml.resolve("tst_X.txt"), "apple banana smoothie\nextra line\n");
        assertThatThrownBy(() -> read(xml)).hasMessageContaining("tst_X_Y.txt").hasMessageContaining("more than 1 texts in tst_X.txt");
        Files.delete(xml.resolve("trn_X.txt"));
        assertThatThrownBy(() -> read(xml)).hasMessageContaining("tst_X.txt but no trn_X.txt");
    }
}
