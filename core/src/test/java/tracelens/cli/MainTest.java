package tracelens.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tracelens.testing.CliRun;

/** A run builds only the command it names; help, listings and suggestions still see every command. */
class MainTest {
    @Test
    void aNamedCommandIsBuiltAloneAndEverythingElseSeesAll() {
        assertThat(Main.forArgs("ilm", "--help").getSubcommands().keySet()).containsExactly("ilm");
        assertThat(Main.forArgs("sip", "run", "--help").getSubcommands().get("sip").getSubcommands()).containsKey("run");
        int all = TracelensCommand.SUBCOMMANDS.size();
        assertThat(Main.forArgs().getSubcommands()).hasSize(all);
        assertThat(Main.forArgs("help", "ilm").getSubcommands()).hasSize(all);
        assertThat(Main.forArgs("--version").getSubcommands()).hasSize(all);
        assertThat(Main.forArgs("ilmm").getSubcommands()).hasSize(all);
    }

    @Test
    void helpListsEveryCommandAndAMisspeltOneGetsASuggestion() {
        CliRun help = CliRun.of("--help");
        for (Class<?> c : TracelensCommand.SUBCOMMANDS) {
            String name = c.getAnnotation(picocli.CommandLine.Command.class).name();
            assertThat(help.out()).contains("  " + name + " ");
        }
        CliRun typo = CliRun.of("ilmm", "--activations", "x");
        assertThat(typo.exitCode()).isEqualTo(2);
        assertThat(typo.err()).contains("ilm");
        CliRun version = CliRun.of("ilm", "--version");
        assertThat(version.exitCode()).isZero();
        assertThat(version.out()).startsWith("tracelens ");
        // what decides this machine's numbers, without loading the engine: versions as the engine jar states them
        assertThat(version.out().lines().toList()).hasSize(4).element(1).isEqualTo("engine: DJL "
                + ai.djl.engine.Engine.getDjlVersion() + ", PyTorch 2.7.1 (CPU)");
        assertThat(version.out()).contains("processor: ").contains("numerics: " + tracelens.runtime.CrossCpu.describe());
    }

    @Test
    void everyOptionOfEveryCommandHasADescription() {
        java.util.List<String> missing = new java.util.ArrayList<>();
        java.util.ArrayDeque<picocli.CommandLine> todo = new java.util.ArrayDeque<>(java.util.List.of(Main.forArgs()));
        while (!todo.isEmpty()) {
            picocli.CommandLine c = todo.pop();
            for (picocli.CommandLine.Model.OptionSpec o : c.getCommandSpec().options()) {
                if (String.join("", o.description()).isBlank()) {
                    missing.add(c.getCommandSpec().qualifiedName() + " " + o.longestName());
                }
            }
            for (picocli.CommandLine.Model.PositionalParamSpec p : c.getCommandSpec().positionalParameters()) {
                if (String.join("", p.description()).isBlank()) {
                    missing.add(c.getCommandSpec().qualifiedName() + " " + p.paramLabel());
                }
            }
            todo.addAll(c.getSubcommands().values());
        }
        assertThat(missing).isEmpty();
    }
}
