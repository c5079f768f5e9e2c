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

    @picocli.CommandLine.Option(names = "--arch", paramLabel = "resnet18|vgg16_bn|efficientnet_b0",
            description = "Read --model as CNN weights (torchvision layout) of this architecture.")
    String arch;

    @Mixin
    RuntimeOptions runtime;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (arch != null) {
            try (tracelens.cnn.Cnn cnn = tracelens.cnn.CnnLoader.load(java.nio.file.Path.of(modelOptions.model),
                    tracelens.cnn.Cnn.Arch.parse(arch))) {
                print(out, modelOptions.model, cnn.arch().id, cnn.sites(), null);
            }
            return 0;
        }
        try (HiddenStateModel m = modelOptions.load()) {
            java.util.List<String> hidden = new java.util.ArrayList<>();
            for (int l = 0; l <= m.numLayers(); l++) {
                hidden.add(m.hiddenStateSite(l));
            }
            print(out, m.id(), m.architecture(), m.sites(), hidden);
        }
        return 0;
    }

    private void print(PrintWriter out, String id, String architecture, java.util.List<Site> sites, java.util.List<String> hidden) {
        if (output.json) {
            ObjectNode r = Json.result(spec);
            r.put("model", id);
            r.put("architecture", architecture);
            ArrayNode list = r.putArray("sites");
            for (Site s : sites) {
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
            if (hidden != null) {
                ArrayNode h = r.putArray("hidden_states");
                hidden.forEach(h::add);
            }
            out.println(Json.write(r));
        } else {
            out.printf("%d sites of %s (%s)%s%n", sites.size(), id, architecture, hidden == null ? "" : "; hidden state i is recorded at "
                    + "embed (0), blocks.<i-1>.resid_post" + (hidden.get(hidden.size() - 1).equals("final_norm")
                    ? ", and final_norm (" + (hidden.size() - 1) + ")" : ""));
            int width = sites.stream().mapToInt(s -> s.name().length()).max().orElse(4);
            for (Site s : sites) {
                out.printf("  %-" + width + "s  %-14s %s%n", s.name(), s.shapeText(), s.description());
            }
        }
        out.flush();
    }
}
