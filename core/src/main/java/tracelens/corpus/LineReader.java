package tracelens.corpus;

import java.io.IOException;
import java.io.Reader;

/**
 * Lines of a text file with a bound on their length: BufferedReader.readLine holds a whole line in memory however long
 * it is (a 1 GB single-line file took 3 GB and minutes before anything was said). A line longer than
 * {@link #MAX_CHARS} is refused as soon as the bound is passed, without reading the rest of it.
 */
public final class LineReader implements AutoCloseable {
    /** The longest line (or CSV record field) read: 16 Mi characters, far beyond what any model reads of one text. */
    public static final int MAX_CHARS = 1 << 24;

    /** A line over the bound; {@code line} is its 1-based number. */
    public static final class TooLong extends IOException {
        public final long line;

        TooLong(long line) {
            super("line " + line + " is longer than " + MAX_CHARS + " characters (" + (MAX_CHARS >> 20)
                    + " Mi), the most tracelens reads as one text; split it into several lines or records");
            this.line = line;
        }
    }

    private final Reader in;
    private final char[] buf = new char[1 << 16];
    private final int max;
    private int pos;
    private int end;
    private long line;

    public LineReader(Reader in) {
        this(in, MAX_CHARS);
    }

    LineReader(Reader in, int max) {
        this.in = in;
        this.max = max;
    }

    /** The next line without its terminator (\n, \r\n or \r), or null at the end of the input. */
    public String readLine() throws IOException {
        StringBuilder b = null;
        while (true) {
            if (pos == end && !fill()) {
                if (b == null) {
                    return null;
                }
                line++;
                return b.toString();
            }
            int start = pos;
            while (pos < end && buf[pos] != '\n' && buf[pos] != '\r') {
                pos++;
            }
            int len = pos - start;
            if ((b == null ? 0 : b.length()) + len > max) {
                throw new TooLong(line + 1);
            }
            if (pos < end) { // a terminator
                char t = buf[pos++];
                String s = b == null ? new String(buf, start, len) : b.append(buf, start, len).toString();
                if (t == '\r' && (pos < end || fill()) && buf[pos] == '\n') {
                    pos++;
                }
                line++;
                return s;
            }
            if (b == null) {
                b = new StringBuilder(Math.max(16, len * 2));
            }
            b.append(buf, start, len);
        }
    }

    /** The number of lines returned so far. */
    public long lineNumber() {
        return line;
    }

    private boolean fill() throws IOException {
        int n = in.read(buf, 0, buf.length);
        if (n <= 0) {
            return false;
        }
        pos = 0;
        end = n;
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
