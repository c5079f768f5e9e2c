package tracelens.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HtmlPageTest {
    static String resource(String name) throws IOException {
        try (InputStream in = HtmlPage.class.getResourceAsStream("/tracelens/report/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** The bundles must reach the page byte for byte (an earlier escaping of "</" broke a regex in vega). */
    @Test
    void bundlesAreInlinedUnchanged() throws IOException {
        String html = new HtmlPage("t").render();
        for (String name : List.of("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")) {
            String js = resource(name).replaceAll("//# sourceMappingURL=\\S+", "");
            assertThat(js).doesNotContainIgnoringCase("</script");
            assertThat(html).contains(js);
        }
        assertThat(html).doesNotContain("sourceMappingURL").doesNotContain("<script src=");
    }

    @Test
    void textAndSpecsAreEscaped() {
        var spec = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("title", "</script><b>");
        String html = new HtmlPage("a < b & c").paragraph("<i>x</i>").table(new String[] {"h"}, List.<String[]>of(new String[] {"1 > 0"}))
                .chart(spec).render();
        assertThat(html).contains("<h1>a &lt; b &amp; c</h1>", "<p>&lt;i&gt;x&lt;/i&gt;</p>", "<td>1 &gt; 0</td>", "<\\/script><b>");
        assertThat(html).doesNotContain("\"</script><b>\"");
    }
}
