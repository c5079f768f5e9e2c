package tracelens.cli;

import java.io.PrintWriter;
import tracelens.progress.Progress;

/**
 * Draws progress on stderr: a redrawn bar on an interactive terminal, otherwise a line at every tenth of the
 * work (so CI logs stay short), also with --json (the JSON goes to stdout); nothing with --quiet.
 */
public final class ProgressBar implements Progress {
    private final PrintWriter err;
    private final boolean enabled;
    private final boolean interactive;
    private String task;
    private long total;
    private long done;
    private long started;
    private long lastDraw;
    private int lastDecile;

    ProgressBar(PrintWriter err, OutputOptions out) {
        this.err = err;
        this.enabled = !out.quiet; // also with --json: progress goes to stderr, the JSON to stdout
        this.interactive = System.console() != null;
    }

    public static Progress of(PrintWriter err, OutputOptions out) {
        return new ProgressBar(err, out);
    }

    @Override
    public void start(String task, long total) {
        this.task = task;
        this.total = total;
        this.done = 0;
        this.lastDecile = 0;
        this.started = System.nanoTime();
        this.lastDraw = 0;
        if (enabled && !interactive) {
            err.println(task + (total > 0 ? " (" + total + ")" : "") + " ...");
            err.flush();
        }
    }

    @Override
    public void advance(long units) {
        done += units;
        if (!enabled) {
            return;
        }
        long now = System.nanoTime();
        if (interactive) {
            if (now - lastDraw > 100_000_000L) {
                lastDraw = now;
                err.print("\r" + line(now));
                err.flush();
            }
        } else if (total > 0) {
            int decile = (int) (done * 10 / total);
            if (decile > lastDecile && decile < 10) {
                lastDecile = decile;
                err.println("  " + line(now));
                err.flush();
            }
        }
    }

    private String line(long now) {
        double secs = (now - started) / 1e9;
        double rate = secs > 0 ? done / secs : 0;
        if (total <= 0) {
            return String.format("%s: %d (%.0f/s)", task, done, rate);
        }
        int width = 30;
        int filled = (int) (width * Math.min(1.0, (double) done / total));
        String eta = rate > 0 ? String.format(", %.0fs left", (total - done) / rate) : "";
        return String.format("%s [%s%s] %d/%d (%.0f/s%s)", task, "#".repeat(filled), ".".repeat(width - filled),
                done, total, rate, eta);
    }

    @Override
    public void end() {
        if (enabled && interactive) {
            err.print("\r" + line(System.nanoTime()) + "\n");
            err.flush();
        }
    }
}
