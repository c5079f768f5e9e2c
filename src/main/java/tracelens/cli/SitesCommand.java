package tracelens.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import tracelens.model.HiddenStateModel;
import tracelens.nn.Site;

@Command(name = "sites",
        header = "List a model's activation sites: the names hooks, 'activations --sites' and patching use.",
        description = {"Prints every site in forward order with its shape (B batch, T tokens) and what it holds,",
            "and which site each hidden-state index is recorded at."},
        mixinStandardHelpOptions = true,
        sortOptions = false,
        footer = {"", "Examples:", "  tracelens sites", "  tracelens sites --model ../shared/models/stories260K/stories260K.bin --json"})
public final class SitesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (HiddenStateModel m = modelOptions.load()) {
            if (output.json) {
                ObjectNode r = Json.result(spec);
                r.put("model", m.id());
                r.put("architecture", m.architecture());
                ArrayNode list = r.putArray("sites");
                for (Site s : m.sites()) {
                    ObjectNode n = list.addObject();
                    n.put("name", s.name());
                    ArrayNode shape = n.putArray("shape");
                    for (int i = 0; i < s.shape().length; i++) {
                        if (s.shape()[i] < 0) {
                            shape.add(s.dims()[i]);
                        } else {
                            shape.add(s.shape()[i]);
                        }
                    }
                    n.put("description", s.description());
                }
                ArrayNode hidden = r.putArray("hidden_states");
                for (int l = 0; l <= m.numLayers(); l++) {
                    hidden.add(m.hiddenStateSite(l));
                }
                out.println(Json.write(r));
            } else {
                out.printf("%d sites of %s (%s); hidden state i is recorded at embed (0), blocks.<i-1>.resid_post%s%n",
                        m.sites().size(), m.id(), m.architecture(),
                        m.hiddenStateSite(m.numLayers()).equals("final_norm") ? ", and final_norm (" + m.numLayers() + ")" : "");
                int width = m.sites().stream().mapToInt(s -> s.name().length()).max().orElse(4);
                for (Site s : m.sites()) {
                    out.printf("  %-" + width + "s  %-14s %s%n", s.name(), s.shapeText(), s.description());
                }
            }
            out.flush();
        }
        return 0;
    }
}
