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

        // issue 13: the trained identifier is saved and --identifier reuses it without corpus or training: same labels
        Path saved = out.resolve("identifier.safetensors");
        assertThat(j.get("identifier").asText()).isEqualTo(saved.toString());
        CliRun again = CliRun.of("sip", "identify", "--identifier", saved.toString(), "--text", text, "--out", dir.resolve("id2").toString(), "--json");
        assertThat(again.exitCode()).as(again.err()).isZero();
        JsonNode k = JSON.readTree(again.out());
        assertThat(k.get("layer").asInt()).isEqualTo(j.get("layer").asInt());
        assertThat(k.get("ngram").asInt()).isEqualTo(1);
        assertThat(k.get("held_out_token_accuracy").isNull()).isTrue();
        assertThat(k.get("tokens")).hasSize(tokens.size());
        for (int i = 0; i < tokens.size(); i++) {
            assertThat(k.get("tokens").get(i).get("label").asInt()).as("token %d", i).isEqualTo(tokens.get(i).get("label").asInt());
            assertThat(k.get("tokens").get(i).get("confidence").asDouble()).isCloseTo(tokens.get(i).get("confidence").asDouble(),
                    org.assertj.core.api.Assertions.within(1e-6));
        }
        assertThat(Files.readString(dir.resolve("id2/source_labels.html"))).contains("Saved token-level identifier on layer");

        // bad input: options the identifier fixes, and an identifier of another model
        CliRun clash = CliRun.of("sip", "identify", "--identifier", saved.toString(), "--layer", "2", "--text", text, "--out",
                dir.resolve("id3").toString());
        assertThat(clash.exitCode()).isEqualTo(2);
        assertThat(clash.err()).contains("--layer does not go with --identifier");
        CliRun other = CliRun.of("sip", "identify", "--model", SharedFiles.require("models/stories260K/stories260K.bin").toString(),
                "--identifier", saved.toString(), "--text", text, "--out", dir.resolve("id4").toString());
        assertThat(other.exitCode()).as(other.err()).isEqualTo(2);
        assertThat(other.err()).contains(saved.toString(), "another model");
        assertThat(dir.resolve("id4")).doesNotExist();
        CliRun noCorpus = CliRun.of("sip", "identify", "--text", text, "--out", dir.resolve("id5").toString());
        assertThat(noCorpus.exitCode()).isEqualTo(2);
        assertThat(noCorpus.err()).contains("--corpus");
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
