package tracelens.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import tracelens.provenance.Provenance;
import tracelens.results.Results;

/** The command line's short names for {@link Results}, the one place results become JSON. */
final class Json {
    static final ObjectMapper MAPPER = Results.MAPPER;

    private Json() {}

    static ObjectNode result(String command) {
        return Results.result(command);
    }

    static ObjectNode result(String command, Provenance provenance) {
        return Results.result(command, provenance);
    }

    static void number(ObjectNode o, String key, double v) {
        Results.number(o, key, v);
    }

    static String write(Object node) {
        return Results.write(node);
    }
}
