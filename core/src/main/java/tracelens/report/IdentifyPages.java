package tracelens.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import tracelens.io.AtomicFile;
import java.util.Locale;
import tracelens.sip.SourceColours;
import tracelens.sip.SourceIdentify;

/**
 * The outputs of source identification per token (sip.md §8, with its fixes): source_labels.html (background =
 * source colour), source_logits.html (background = confidence), each token's text escaped with newlines as
 * {@code <br>}, and tokens.jsonl with one object per token.
 */
public final class IdentifyPages {
    private IdentifyPages() {}

    /** What the page states beside the tokens: the layer, n-gram width, threshold and the prompt's length in characters. */
    public record Context(int layer, int ngram, double threshold, int promptChars) {}

    /**
     * The token spans of one page: each token's text as it reads in context (word starts keep their space, so the
     * pieces of a word sit together and read as the word, each keeping its colour), wrapping like prose; prompt tokens
     * are underlined and a marker shows where the continuation starts.
     */
    static String spans(SourceIdentify.Result r, boolean byLabel, Context c) {
        StringBuilder sb = new StringBuilder("<p class=\"tokens\">");
        int at = 0;
        boolean marked = c.promptChars() == 0;
        for (SourceIdentify.TokenLabel t : r.tokens()) {
            if (!marked && at >= c.promptChars()) {
                sb.append("<span class=\"cont\">&#9656; continuation</span>");
                marked = true;
            }
            String colour = byLabel ? SourceColours.label(t.label()) : SourceColours.confidence(t.label() < 0 && t.confidence() == 0 ? 0 : t.confidence());
            String title = t.label() < 0 ? String.format(Locale.ROOT, "no source above the threshold (%.2f)", t.confidence())
                    : r.sources().get(t.label()) + String.format(Locale.ROOT, " (%.2f)", t.confidence());
            sb.append("<span title=\"").append(HtmlPage.escape(title)).append("\" class=\"").append(t.label() < 0 ? "tok unk" : "tok")
                    .append(at < c.promptChars() ? " prompt" : "").append("\" style=\"background-color: ").append(colour).append("; color: ")
                    .append(byLabel ? SourceColours.text(t.label()) : "#000000").append("\">")
                    .append(HtmlPage.escape(t.token()).replace("\n", "<br>")).append("</span><wbr>");
            at += t.token().length();
        }
        return sb.append("</p>").toString();
    }

    static String page(SourceIdentify.Result r, boolean byLabel, Context c) {
        int k = r.sources().size();
        double[] ci = tracelens.sip.Metrics.wilson(r.heldOutTokenAccuracy(), r.testRows());
        StringBuilder about = new StringBuilder(r.testRows() == 0 // a saved identifier, applied: nothing held out in this run
                ? String.format(Locale.ROOT, "<p>Saved token-level identifier on layer %d, %d-gram rows, %d sources (chance %.3f);"
                        + " its held-out accuracy is the one reported when it was trained. Tokens whose confidence is below %.2f are"
                        + " shown as <i>no source above the threshold</i>.", c.layer(), c.ngram(), k, 1.0 / k, c.threshold())
                : String.format(Locale.ROOT, "<p>Token-level identifier on layer %d, %d-gram rows,"
                + " trained on %d rows: held-out token accuracy %.3f (95%% interval %.3f to %.3f over %d rows) against chance %.3f"
                + " (%d sources). Tokens whose confidence is below %.2f are shown as <i>no source above the threshold</i>.",
                c.layer(), c.ngram(), r.trainRows(), r.heldOutTokenAccuracy(), ci[0], ci[1], r.testRows(), 1.0 / k, k, c.threshold()));
        if (c.promptChars() > 0) {
            about.append(" The prompt is underlined; the model's continuation follows the &#9656; marker.");
        }
        about.append("</p>");
        StringBuilder legend = new StringBuilder("<p class=\"legend\">");
        if (byLabel) {
            for (int i = 0; i < k; i++) {
                legend.append("<span class=\"key\" style=\"background-color: ").append(SourceColours.label(i)).append("; color: ")
                        .append(SourceColours.text(i)).append("\">")
                        .append(HtmlPage.escape(r.sources().get(i))).append("</span> ");
            }
            legend.append("<span class=\"key unk\" style=\"background-color: ").append(SourceColours.label(-1))
                    .append("\"><i>no source above the threshold</i></span>");
        } else {
            legend.append("Background: white = confidence 0, green-blue = confidence 1.");
        }
        legend.append("</p>");
        String title = byLabel ? "Source of each token" : "Identifier confidence per token";
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + title + "</title>"
                + "<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;line-height:2}"
                + ".tokens{white-space:pre-wrap;overflow-wrap:anywhere}.tok{padding:1px 0;border-radius:2px}"
                + ".tok.unk{outline:1px dashed #999}.tok.prompt{text-decoration:underline}.cont{color:#555;font-size:80%;margin:0 .4em}"
                + ".key{padding:2px 6px;margin:2px;display:inline-block;border-radius:3px}.key.unk{outline:1px dashed #999}"
                + "</style></head><body>\n<h1>" + title + "</h1>\n" + about + "\n" + legend + "\n" + spans(r, byLabel, c) + "\n</body></html>\n";
    }

    public static void write(SourceIdentify.Result r, Context c, Path dir) {
        AtomicFile.writeString(dir.resolve("source_labels.html"), page(r, true, c));
        AtomicFile.writeString(dir.resolve("source_logits.html"), page(r, false, c));
        ObjectMapper json = new ObjectMapper();
        AtomicFile.write(dir.resolve("tokens.jsonl"), w -> {
            for (SourceIdentify.TokenLabel t : r.tokens()) {
                var n = json.createObjectNode().put("token", t.token()).put("id", t.id()).put("label", t.label())
                        .put("source", t.label() < 0 ? null : r.sources().get(t.label())).put("confidence", t.confidence());
                w.write(json.writeValueAsString(n));
                w.newLine();
            }
        });
    }
}
