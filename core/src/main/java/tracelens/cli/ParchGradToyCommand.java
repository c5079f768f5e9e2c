package tracelens.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import tracelens.error.InvalidInputException;
import tracelens.io.AtomicFile;
import tracelens.saliency.GradientToy;

@Command(name = "toy",
        header = "The 2-D gradient-aggregation toy: a few strong gradients (H) against many small ones (L).",
        description = {"Draws 10 'high' and 100 'low' random 2-D gradients exactly as the original notebook (NumPy's legacy",
            "Mersenne Twister, 53-bit uniform doubles) and reports their sums, angles and norms; --svg draws the arrows."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Example:", "  tracelens parchgrad toy --seed 21 --json --svg toy.svg"})
public final class ParchGradToyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--seed", defaultValue = "21", paramLabel = "S", description = "NumPy legacy seed (np.random.seed). (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--high", defaultValue = "10", paramLabel = "N", description = "Number of H vectors. (default: ${DEFAULT-VALUE})")
    int high;

    @Option(names = "--low", defaultValue = "100", paramLabel = "N", description = "Number of L vectors. (default: ${DEFAULT-VALUE})")
    int low;

    @Option(names = "--distribution", defaultValue = "uniform", paramLabel = "uniform|normal",
            description = "uniform (the notebook) or normal (the blog's wording). (default: ${DEFAULT-VALUE})")
    String distribution;

    @Option(names = "--svg", paramLabel = "FILE", description = "Write the arrows as SVG.")
    Path svg;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        OutputPaths.file("--svg", svg);
        if (seed < 0 || seed > 0xffffffffL) {
            throw new InvalidInputException("--seed must be in 0..2^32-1 (NumPy's legacy seeds), found " + seed);
        }
        if (high < 1 || low < 1) {
            throw new InvalidInputException("--high and --low must be positive");
        }
        GradientToy.Distribution d = switch (distribution.toLowerCase(Locale.ROOT)) {
            case "uniform" -> GradientToy.Distribution.UNIFORM;
            case "normal" -> GradientToy.Distribution.NORMAL;
            default -> throw new InvalidInputException("--distribution must be uniform or normal, found '" + distribution + "'");
        };
        GradientToy.Result r = GradientToy.draw(seed, high, low, d);
        if (svg != null) {
            AtomicFile.write(svg, w -> w.write(GradientToy.svg(r)));
        }
        PrintWriter out = spec.commandLine().getOut();
        if (output.json) {
            ObjectNode n = Json.result(spec);
            pair(n.putArray("sum_high"), r.sumHigh());
            pair(n.putArray("sum_low"), r.sumLow());
            pair(n.putArray("sum_all"), r.sumAll());
            n.put("angle_high", GradientToy.Result.angle(r.sumHigh()));
            n.put("angle_low", GradientToy.Result.angle(r.sumLow()));
            n.put("angle_all", GradientToy.Result.angle(r.sumAll()));
            n.put("norm_high", GradientToy.Result.norm(r.sumHigh()));
            n.put("norm_low", GradientToy.Result.norm(r.sumLow()));
            n.put("norm_all", GradientToy.Result.norm(r.sumAll()));
            out.println(Json.write(n));
        } else {
            line(out, "H (|H| = " + high + ")", r.sumHigh());
            line(out, "L (|L| = " + low + ")", r.sumLow());
            line(out, "H and L", r.sumAll());
            if (svg != null) {
                out.println("wrote " + svg);
            }
        }
        out.flush();
        return 0;
    }

    private static void pair(ArrayNode a, double[] v) {
        a.add(v[0]).add(v[1]);
    }

    private static void line(PrintWriter out, String what, double[] v) {
        out.printf(Locale.ROOT, "sum of %-14s (%9.6f, %9.6f)  norm %.4f  angle %7.2f deg%n", what, v[0], v[1],
                GradientToy.Result.norm(v), GradientToy.Result.angle(v));
    }
}
