package tracelens.fuzz;

import org.junit.jupiter.api.Test;

/** The fuzzers' seeds are valid inputs (else every mutant is refused for the seed's fault and nothing is tested). */
class SeedsAreValidTest {
    private static byte[] utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void everySeedParses() throws Exception {
        BinaryFormatsFuzzTest b = new BinaryFormatsFuzzTest();
        b.safetensorsHeaderAndOffsets(Seeds.pooledActivations());
        b.safetensorsHeaderAndOffsets(Seeds.tokenActivations());
        b.activationCaches(Seeds.pooledActivations());
        b.activationCaches(Seeds.tokenActivations());
        b.llama2cCheckpoints(Seeds.llama2c(true));
        b.llama2cCheckpoints(Seeds.llama2c(false));
        b.llama2cTokenizerFiles(Seeds.read(tracelens.testing.SharedFiles.tok512()));
        TextFormatsFuzzTest t = new TextFormatsFuzzTest();
        for (String m : new String[] {"tiny-gpt2", "tiny-neox", "tiny-qwen2"}) {
            t.configJson(Seeds.read(java.nio.file.Path.of("src/test/resources/fixtures", m, "config.json")));
        }
        t.tokenizerJson(Seeds.read(java.nio.file.Path.of("src/test/resources/fixtures/tiny-gpt2/tokenizer.json")));
        t.corpusJsonl(utf8("{\"text\": \"one two\", \"source\": \"a\"}\n{\"text\": \"three\", \"source\": 7}\n\n"));
        t.corpusCsv(utf8("text,source\n\"one, two\",a\n\"say \"\"hi\"\"\",b\nthree,a\n"));
        t.corpusTsv(utf8("text\tsource\none two\ta\nthree\tb\n"));
        t.fineTuningTaskCsv(utf8("text,label\ngood,1\nbad,0\nfine,1\nawful,0\nok,1\nmeh,0\nnice,1\nugly,0\ngreat,1\npoor,0\nbest,1\n"));
        t.sst2Folder(utf8("sentence\tlabel\ngood film\t1\nbad film\t0\n"));
        t.pointsCsv(utf8("1,2,3\n4.5,-6e-3,7\n0,0,1\n"));
        org.assertj.core.api.Assertions.assertThat(Outcome.TALLY.values()).allSatisfy(c -> org.assertj.core.api.Assertions.assertThat(c[1])
                .as("refused seeds").isZero());
    }
}
