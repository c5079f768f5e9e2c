package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tracelens.sip.SourceColours;
import tracelens.testing.CliRun;
import tracelens.testing.SharedFiles;

/** sip identify on tweets vs SST-2 phrases (../shared): a tweet's tokens should mostly be labelled "tweets". */
class SipIdentifyCommandTest {
    @TempDir
    Path dir;

    static final ObjectMapper JSON = new ObjectMapper();

    Path corpus() throws IOException {
        Path corpus = dir.resolve("c.jsonl");
        List<String> tweets = Files.readAllLines(SharedFiles.require("data/tweeteval-offensive/train_text.txt")).subList(0, 30);
        List<String> sst = Files.readAllLines(SharedFiles.require("data/sst2/train.tsv")).subList(1, 31);
        try (BufferedWriter w = Files.newBufferedWriter(corpus)) {
            for (String t : tweets) {
                w.write(JSON.writeValueAsString(JSON.createObjectNode().put("text", t.strip()).put("source", "tweets")));
                w.newLine();
            }
            for (String s : sst) {
                w.write(JSON.writeValueAsString(JSON.createObjectNode().put("text", s.split("\t")[1]).put("source", "sst2")));
                w.newLine();
            }
        }
        return corpus;
    }

    @Test
    void labelsTheTokensOfAGivenText() throws IOException {
        Path corpus = corpus();
        String text = "@user @user I can't believe they did that again lol #MAGA <b>\n";
        Path out = dir.resolve("id");
        CliRun r = CliRun.of("sip", "identify", "--corpus", corpus.toString(), "--words", "0", "--samples-per-source", "30",
                "--text", text, "--layer", "-1", "--ngram", "1", "--epochs", "10", "--out", out.toString(), "--json");
        assertThat(r.exitCode()).as(r.err()).isZero();
        JsonNode j = JSON.readTree(r.out());
        assertThat(j.get("held_out_token_accuracy").asDouble()).as("token-level, 2 styles").isGreaterThan(0.7);
        JsonNode tokens = j.get("tokens");
        long tweetTokens = 0;
        for (JsonNode t : tokens) {
            if ("tweets".equals(t.get("source").asText(null))) {
                tweetTokens++;
            }
            assertThat(t.get("confidence").asDouble()).isBetween(0.0, 1.0);
        }
        assertThat(tweetTokens).as("tokens of a tweet labelled as tweets").isGreaterThan(tokens.size() / 2);
        String labels = Files.readString(out.resolve("source_labels.html"));
        assertThat(labels).contains("&lt;", "background-color: " + SourceColours.label(0)).doesNotContain("<b>");
        // issue 14: tokens wrap as prose (no &nbsp; padding gluing them into one unbreakable line), the page states the
        // layer, the n-gram width and the accuracy against chance with its interval, and "no source" is not a source
        assertThat(labels).doesNotContain("&nbsp;").contains("white-space:pre-wrap", "<wbr>", "1-gram rows", "95% interval",
                "against chance 0.500", "<i>no source above the threshold</i>");
        assertThat(Files.readAllLines(out.resolve("tokens.jsonl"))).hasSize(tokens.size());
        assertThat(Files.readString(out.resolve("source_logits.html"))).contains("Identifier confidence per token");
    }

    @Test
    void coloursFollowTheSpec() {
        assertThat(SourceColours.label(-1)).isEqualTo("#ffffff");
        assertThat(SourceColours.label(0)).isEqualTo("#1f77b4");
        assertThat(SourceColours.label(21)).as("sources 20..39 get tab20b (issue 13: 40 distinct colours)").isEqualTo("#5254a3");
        assertThat(SourceColours.label(41)).isEqualTo("#aec7e8");
        assertThat(SourceColours.text(20)).as("white on tab20b's dark blue").isEqualTo("#ffffff");
        assertThat(SourceColours.text(1)).isEqualTo("#000000");
        assertThat(SourceColours.confidence(0)).isEqualTo("#ffffff");
        assertThat(SourceColours.confidence(1)).isEqualTo("#00ff6f"); // (0, 1, 111/255)
        assertThat(SourceColours.confidence(0.5)).isEqualTo("#80ffb7"); // 0.5 + 0.5 * 111/255 = 0.7176 -> 183
    }

    @Test
    void promptNeedsADecoderAndTextAndPromptExcludeEachOther() throws IOException {
        Path corpus = corpus();
        CliRun r = CliRun.of("sip", "identify", "--corpus", corpus.toString(), "--words", "0", "--prompt", "x", "--out", dir.resolve("o").toString());
        assertThat(r.exitCode()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains("--prompt needs a decoder");
        CliRun both = CliRun.of("sip", "identify", "--corpus", corpus.toString(), "--prompt", "x", "--text", "y", "--out", dir.resolve("o").toString());
        assertThat(both.exitCode()).isEqualTo(2);
    }
}
