package tracelens.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import tracelens.provenance.Provenance;
import tracelens.results.Results;

/** The command line's short names for {@link Results}, the one place results become JSON. */
final class Json {
    static final ObjectMapper MAPPER = Results.MAPPER;

    private Json() {}

    static ObjectNode result(String command) {
        return Results.result(command);
    }

    /** Options that do not shape the numbers and so stay out of the provenance. */
    private static final java.util.Set<String> NOT_SETTINGS = java.util.Set.of("--help", "--version", "--json", "--quiet",
            "--verbose", "--threads", "--out", "--cache", "--resume", "--force");

    /**
     * A result with the provenance of the command {@code spec} describes: its option values as settings, {@code --model}
     * as the model, {@code --seed} as the seed, and every path option naming an existing file as an input (digested).
     */
    static ObjectNode result(CommandSpec spec) {
        String command = spec.qualifiedName(" ").replaceFirst("^tracelens ", "");
        java.util.Map<String, String> settings = new java.util.TreeMap<>();
        java.util.List<java.nio.file.Path> inputs = new java.util.ArrayList<>();
        String model = null;
        Long seed = null;
        for (OptionSpec o : spec.options()) {
            String name = o.longestName();
            Object v = o.getValue();
            if (NOT_SETTINGS.contains(name) || v == null) {
                continue;
            }
            if (name.equals("--model")) {
                model = v.toString();
            } else if (name.equals("--seed")) {
                seed = ((Number) v).longValue();
            } else if (v instanceof java.nio.file.Path p && java.nio.file.Files.isRegularFile(p)) {
                inputs.add(p);
            }
            settings.put(name.replaceFirst("^--", ""), v instanceof java.util.Collection<?> c ? String.join(",",
                    c.stream().map(String::valueOf).toList()) : String.valueOf(v));
        }
        return Results.result(command, Provenance.of(command, model, inputs, settings, seed));
    }

    static ObjectNode result(String command, Provenance provenance) {
        return Results.result(command, provenance);
    }

    static void number(ObjectNode o, String key, double v) {
        Results.number(o, key, v);
    }

    static void number(ObjectNode o, String key, double v, String whyUndefined) {
        Results.number(o, key, v, whyUndefined);
    }

    static String write(Object node) {
        return Results.write(node);
    }
}
