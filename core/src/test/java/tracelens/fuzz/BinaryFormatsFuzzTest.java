package tracelens.fuzz;

import java.io.IOException;
import java.nio.file.Path;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import tracelens.activations.ActivationFile;
import tracelens.model.SafeTensors;
import tracelens.model.llama.Llama2cCheckpoint;
import tracelens.model.llama.Llama2cTokenizer;
import tracelens.sip.CachedFeatures;
import tracelens.testing.SharedFiles;

/**
 * Issue 15 outcome 2: every binary parser, 1,000 malformed inputs a run (jqwik.tries.default; scripts/fuzz.sh for
 * 100,000), each either read or refused as bad input naming the file. Parsing means reading everything a command
 * would read: every tensor, every label, every row.
 */
class BinaryFormatsFuzzTest {
    private static final byte[] POOLED = Seeds.pooledActivations();
    private static final byte[] TOKENS = Seeds.tokenActivations();

    @Provide
    Arbitrary<byte[]> safetensors() {
        return Mutants.of(POOLED, TOKENS);
    }

    @Property(seed = "1501")
    void safetensorsHeaderAndOffsets(@ForAll("safetensors") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("fuzz.safetensors"), input, f -> {
            try (SafeTensors st = SafeTensors.open(f)) {
                st.metadata();
                for (SafeTensors.Info info : st.tensors().values()) {
                    switch (info.dtype()) {
                        case F32, F16, BF16, F64 -> st.float32(info.name());
                        case I64 -> st.longs(info.name());
                        default -> st.raw(info.name());
                    }
                }
            }
        });
    }

    @Property(seed = "1502")
    void activationCaches(@ForAll("safetensors") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("fuzz-acts.safetensors"), input, f -> {
            try (ActivationFile a = ActivationFile.open(f)) {
                if (a.hasLabels()) {
                    a.labels();
                    a.labelNames();
                }
                for (int layer : a.layers()) {
                    if (a.tensors().info("layer." + layer).shape().length == 2) {
                        a.pooled(layer);
                    } else {
                        CachedFeatures rows = CachedFeatures.ngram(a.tensors(), layer, 2, false);
                        try (var m = tracelens.runtime.DjlRuntime.manager()) {
                            int[] all = java.util.stream.IntStream.range(0, rows.rows()).toArray();
                            rows.batch(m, all).close();
                        }
                        CachedFeatures.meanPooled(a.tensors(), layer);
                    }
                }
            }
        });
    }

    @Provide
    Arbitrary<byte[]> llama2c() {
        return Mutants.of(Seeds.llama2c(true), Seeds.llama2c(false));
    }

    @Property(seed = "1503")
    void llama2cCheckpoints(@ForAll("llama2c") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("fuzz.bin"), input, f -> {
            Llama2cCheckpoint c = Llama2cCheckpoint.open(f);
            var cfg = c.config();
            c.get("tok_embeddings", cfg.vocabSize(), cfg.hiddenSize());
            for (int l = 0; l < cfg.numLayers(); l++) {
                c.get("layers." + l + ".wq", cfg.hiddenSize(), cfg.hiddenSize());
                c.get("layers." + l + ".wk", (long) cfg.numKvHeads() * cfg.headSize(), cfg.hiddenSize());
                c.get("layers." + l + ".w2", cfg.hiddenSize(), cfg.intermediateSize());
            }
            c.get("norm.weight", cfg.hiddenSize());
        });
    }

    @Provide
    Arbitrary<byte[]> llama2cTokenizers() {
        return Mutants.of(Seeds.read(SharedFiles.tok512()));
    }

    @Property(seed = "1504")
    void llama2cTokenizerFiles(@ForAll("llama2cTokenizers") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("fuzz-tok.bin"), input, f -> {
            Llama2cTokenizer t = Llama2cTokenizer.load(f);
            long[] ids = t.encode("Once upon a time, a tokenizer \u00e9\u4e2d\ud83d\ude00", 64).ids();
            t.decode(ids);
        });
    }

    @net.jqwik.api.lifecycle.AfterContainer
    static void report() {
        System.out.print(Outcome.tally());
    }
}
