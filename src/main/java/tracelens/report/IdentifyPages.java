package tracelens.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import tracelens.io.AtomicFile;
import java.util.Locale;
import tracelens.sip.SourceColours;
import tracelens.sip.SourceIdentify;

/**
 * The outputs of source identification per token (sip.md §8, with its fixes): source_labels.html (background =
 * source colour), source_logits.html (background = confidence), each token as {@code &nbsp;TOKEN&nbsp;} with the
 * token text escaped and newlines as {@code <br>}, and tokens.jsonl with one object per token.
 */
public final class IdentifyPages {
    private IdentifyPages() {}

    /** The token spans of one page. */
    static String spans(SourceIdentify.Result r, boolean byLabel) {
        StringBuilder sb = new StringBuilder("<p>");
        for (SourceIdentify.TokenLabel t : r.tokens()) {
            String colour = byLabel ? SourceColours.label(t.label()) : SourceColours.confidence(t.label() < 0 && t.confidence() == 0 ? 0 : t.confidence());
            String title = t.label() < 0 ? "unknown" : r.sources().get(t.label()) + String.format(Locale.ROOT, " (%.2f)", t.confidence());
            sb.append("<span title=\"").append(HtmlPage.escape(title)).append("\" style=\"color: black; background-color: ")
                    .append(colour).append("\">&nbsp;").append(HtmlPage.escape(t.token()).replace("\n", "<br>")).append("&nbsp;</span>");
        }
        return sb.append("</p>").toString();
    }

    static String page(SourceIdentify.Result r, boolean byLabel) {
        StringBuilder legend = new StringBuilder("<p>");
        if (byLabel) {
            for (int i = 0; i < r.sources().size(); i++) {
                legend.append("<span style=\"background-color: ").append(SourceColours.label(i)).append("\">&nbsp;")
                        .append(HtmlPage.escape(r.sources().get(i))).append("&nbsp;</span> ");
            }
            legend.append("<span style=\"background-color: #ffffff; border: 1px solid #ccc\">&nbsp;unknown&nbsp;</span>");
        } else {
            legend.append("Background: white = confidence 0, green-blue = confidence 1.");
        }
        legend.append("</p>");
        String title = byLabel ? "Source of each token" : "Identifier confidence per token";
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + title + "</title>"
                + "<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;line-height:2}</style></head><body>\n<h1>"
                + title + "</h1>\n" + legend + "\n" + spans(r, byLabel) + "\n</body></html>\n";
    }

    public static void write(SourceIdentify.Result r, Path dir) {
        AtomicFile.writeString(dir.resolve("source_labels.html"), page(r, true));
        AtomicFile.writeString(dir.resolve("source_logits.html"), page(r, false));
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
