package tracelens.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.error.InvalidInputException;
import tracelens.testing.SharedFiles;

class TaskDataTest {
    @TempDir
    Path dir;

    @Test
    void readsTheSharedGlueAndTweetEvalFiles() {
        Path data = SharedFiles.require("data/sst2/train.tsv").getParent().getParent();
        TaskData sst2 = TaskData.load("sst2", data, dir, null, 0);
        assertThat(sst2.train()).hasSize(67_349);
        assertThat(sst2.dev()).hasSize(872);
        assertThat(sst2.train().get(0)).isEqualTo(new TaskData.Example("hide new secretions from the parental units", 0));
        assertThat(sst2.metric()).isEqualTo("accuracy");
        TaskData cola = TaskData.load("cola", data, dir, null, 0);
        assertThat(cola.train()).hasSize(8_551);
        assertThat(cola.dev()).hasSize(527);
        assertThat(cola.metric()).isEqualTo("mcc");
        TaskData tweet = TaskData.load("tweet-offensive", data, dir, null, 0);
        assertThat(tweet.train()).hasSize(11_916);
        assertThat(tweet.dev()).hasSize(1_324);
        assertThat(tweet.labels()).containsExactly("not-offensive", "offensive");
    }

    @Test
    void csvTaskWithQuotedCellsAndAHeldOutTenth() throws IOException {
        Path f = dir.resolve("t.csv");
        StringBuilder sb = new StringBuilder("id,text,label\n");
        for (int i = 0; i < 50; i++) {
            sb.append(i).append(",\"text, number ").append(i).append(" says \"\"hi\"\"\",").append(i % 2 == 0 ? "pos" : "neg").append('\n');
        }
        Files.writeString(f, sb);
        TaskData t = TaskData.load(f.toString(), dir, dir, null, 3);
        assertThat(t.labels()).containsExactly("neg", "pos");
        assertThat(t.train()).hasSize(45);
        assertThat(t.dev()).hasSize(5);
        assertThat(t.train().get(0).text()).matches("text, number \\d+ says \"hi\"");
        // the split is seeded and disjoint
        assertThat(TaskData.load(f.toString(), dir, dir, null, 3).dev()).isEqualTo(t.dev());
        assertThat(t.train()).doesNotContainAnyElementsOf(t.dev());
        List<TaskData.Example> sub = TaskData.subset(t.train(), 10, 1);
        assertThat(sub).hasSize(10).isEqualTo(TaskData.subset(t.train(), 10, 1)).isNotEqualTo(TaskData.subset(t.train(), 10, 2));
    }

    @Test
    void badInputNamesTheFileAndLine() throws IOException {
        Path f = dir.resolve("bad.tsv");
        Files.writeString(f, "sentence\tscore\nfine\t1\n");
        assertThatThrownBy(() -> TaskData.load(f.toString(), dir, dir, null, 0)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("bad.tsv: header: no label column");
        Files.writeString(f, "sentence\tlabel\nfine\t1\nragged\n");
        assertThatThrownBy(() -> TaskData.load(f.toString(), dir, dir, null, 0)).hasMessageContaining("bad.tsv: line 3: 1 fields");
        Files.writeString(f, "sentence\tlabel\nonly one\t1\n");
        assertThatThrownBy(() -> TaskData.load(f.toString(), dir, dir, null, 0)).hasMessageContaining("at least 2 distinct labels");
        Path sst2 = dir.resolve("sst2");
        Files.createDirectories(sst2);
        Files.writeString(sst2.resolve("train.tsv"), "label\tsentence\n1\tok\n7\tno\n");
        Files.writeString(sst2.resolve("dev.tsv"), "label\tsentence\n1\tok\n");
        assertThatThrownBy(() -> TaskData.load("sst2", dir, dir, null, 0)).hasMessageContaining("train.tsv: line 3: label '7'");
        assertThatThrownBy(() -> TaskData.load("nope", dir, dir, null, 0)).hasMessageContaining("task must be one of");
        assertThatThrownBy(() -> TaskData.load("cola", dir, dir, null, 0)).hasMessageContaining("data folder");
    }
}
