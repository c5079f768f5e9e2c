package tracelens.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import tracelens.io.AtomicFile;

/**
 * A self-contained HTML page: headings, paragraphs, tables and Vega-Lite charts, with vega, vega-lite and
 * vega-embed inlined (BSD-3-Clause, vendored under resources/tracelens/report) so it opens offline.
 */
public final class HtmlPage {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final StringBuilder body = new StringBuilder();
    private final String title;
    private int charts;

    public HtmlPage(String title) {
        this.title = title;
        body.append("<h1>").append(escape(title)).append("</h1>\n");
    }

    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    public HtmlPage heading(String text) {
        body.append("<h2>").append(escape(text)).append("</h2>\n");
        return this;
    }

    public HtmlPage paragraph(String text) {
        body.append("<p>").append(escape(text)).append("</p>\n");
        return this;
    }

    /** A table; cells are escaped. */
    public HtmlPage table(String[] header, java.util.List<String[]> rows) {
        body.append("<table><thead><tr>");
        for (String h : header) {
            body.append("<th>").append(escape(h)).append("</th>");
        }
        body.append("</tr></thead><tbody>\n");
        for (String[] r : rows) {
            body.append("<tr>");
            for (String c : r) {
                body.append("<td>").append(escape(c)).append("</td>");
            }
            body.append("</tr>\n");
        }
        body.append("</tbody></table>\n");
        return this;
    }

    /** A Vega-Lite chart from its spec. */
    public HtmlPage chart(JsonNode spec) {
        String id = "chart" + (charts++);
        body.append("<div id=\"").append(id).append("\" class=\"chart\"></div>\n<script>vegaEmbed('#").append(id).append("', ")
                .append(scriptSafe(write(spec))).append(", {actions: false, renderer: 'svg'}).catch(e => document.getElementById('")
                .append(id).append("').textContent = 'chart failed: ' + e);</script>\n");
        return this;
    }

    private static String write(JsonNode spec) {
        try {
            return JSON.writeValueAsString(spec);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** JSON inside a script element: "</" only occurs in strings there, where "<\\/" reads the same. */
    private static String scriptSafe(String s) {
        return s.replace("</", "<\\/");
    }

    static String bundle(String name) {
        try (InputStream in = HtmlPage.class.getResourceAsStream("/tracelens/report/" + name)) {
            if (in == null) {
                throw new IllegalStateException("report bundle " + name + " is missing from the classpath");
            }
            String js = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            // only a closing script tag would end the element early; any other "</" (e.g. in a regex) must stay as is
            return js.replaceAll("//# sourceMappingURL=\\S+", "").replaceAll("(?i)</script", "<\\\\/script");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String render() {
        return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title>\n"
                + "<style>body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
                + "table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}"
                + "th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}.chart{margin:1em 0}</style>\n"
                + "<script>" + bundle("vega.min.js") + "</script>\n<script>" + bundle("vega-lite.min.js") + "</script>\n<script>"
                + bundle("vega-embed.min.js") + "</script>\n</head><body>\n" + body + "</body></html>\n";
    }

    /** Writes the page atomically. */
    public void write(Path file) {
        AtomicFile.writeString(file, render());
    }
}
