package tracelens.fuzz;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import tracelens.corpus.TextColumns;
import tracelens.corpus.TextInput;
import tracelens.finetune.TaskData;
import tracelens.geometry.PointsCsv;
import tracelens.model.HfTokenizer;
import tracelens.model.bert.BertConfig;
import tracelens.model.decoder.HfConfig;
import tracelens.model.gpt2.Gpt2Family;
import tracelens.model.llama.LlamaFamily;
import tracelens.model.neox.NeoxFamily;

/**
 * Issue 15 outcome 2 for the text formats: config.json (every decoder family and BERT), tokenizer.json, the corpus
 * formats (txt, JSONL, CSV, TSV, with and without a source column), fine-tuning task files, and points CSV.
 */
class TextFormatsFuzzTest {
    private static byte[] fixture(String model, String file) {
        return Seeds.read(Path.of("src/test/resources/fixtures", model, file));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Provide
    Arbitrary<byte[]> configs() {
        return Mutants.of(fixture("tiny-gpt2", "config.json"), fixture("tiny-neox", "config.json"), fixture("tiny-qwen2", "config.json"),
                utf8("{\"vocab_size\": 30522, \"hidden_size\": 384, \"num_hidden_layers\": 6, \"num_attention_heads\": 12,"
                        + " \"intermediate_size\": 1536, \"max_position_embeddings\": 512, \"type_vocab_size\": 2,"
                        + " \"layer_norm_eps\": 1e-12, \"model_type\": \"bert\"}"));
    }

    @Property(seed = "1511")
    void configJson(@ForAll("configs") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("cfg").resolve("config.json"), input, f -> {
            HfConfig hf = HfConfig.read(f);
            switch (hf.modelType()) {
                case "llama", "mistral", "qwen2" -> LlamaFamily.config(hf, false);
                case "gpt_neox" -> NeoxFamily.config(hf);
                case "gpt2" -> Gpt2Family.config(hf);
                default -> BertConfig.read(f);
            }
        });
    }

    @Provide
    Arbitrary<byte[]> tokenizers() {
        return Mutants.of(fixture("tiny-gpt2", "tokenizer.json"), fixture("tiny-qwen2", "tokenizer.json"));
    }

    @Property(seed = "1512")
    void tokenizerJson(@ForAll("tokenizers") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("tok").resolve("tokenizer.json"), input, f -> {
            try (HfTokenizer t = HfTokenizer.load(f)) {
                t.decode(t.encode("w1 w2 hello \u00e9 \ud83d\ude00", 16).ids());
            }
        });
    }

    @Provide
    Arbitrary<byte[]> jsonl() {
        return Mutants.of(utf8("{\"text\": \"one two\", \"source\": \"a\"}\n{\"text\": \"three\", \"source\": 7}\n\n{\"text\": \"\u00e9\", \"source\": \"b\"}\n"));
    }

    @Provide
    Arbitrary<byte[]> csv() {
        return Mutants.of(utf8("text,source\n\"one, two\",a\n\"say \"\"hi\"\"\",b\nthree,a\n"), utf8("\uFEFFsource,text\r\nb,\"multi\nline\"\r\n"));
    }

    @Provide
    Arbitrary<byte[]> tsv() {
        return Mutants.of(utf8("text\tsource\none two\ta\nthree\tb\n"), utf8("sentence\tlabel\ngood film\t1\nbad film\t0\n"));
    }

    @Provide
    Arbitrary<byte[]> txt() {
        return Mutants.of(utf8("first line\nsecond \u00e9 line\r\n\nthird\n"));
    }

    private static void readAll(Path f, TextColumns columns) {
        TextInput.of(f, columns).forEach(r -> { });
    }

    @Property(seed = "1513")
    void corpusJsonl(@ForAll("jsonl") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("corpus.jsonl"), input, f -> readAll(f, new TextColumns("text", "source")));
    }

    @Property(seed = "1514")
    void corpusCsv(@ForAll("csv") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("corpus.csv"), input, f -> readAll(f, new TextColumns("text", "source")));
    }

    @Property(seed = "1515")
    void corpusTsv(@ForAll("tsv") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("corpus.tsv"), input, f -> readAll(f, TextColumns.DEFAULT));
    }

    @Property(seed = "1516")
    void corpusTxt(@ForAll("txt") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("corpus.txt"), input, f -> readAll(f, TextColumns.DEFAULT));
    }

    @Provide
    Arbitrary<byte[]> taskCsv() {
        return Mutants.of(utf8("text,label\ngood,1\nbad,0\nfine,1\nawful,0\nok,1\nmeh,0\nnice,1\nugly,0\ngreat,1\npoor,0\nbest,1\n"));
    }

    @Property(seed = "1517")
    void fineTuningTaskCsv(@ForAll("taskCsv") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("task.csv"), input, f -> TaskData.load(f.toString(), Seeds.DIR, Seeds.DIR, null, 1));
    }

    @Property(seed = "1518")
    void sst2Folder(@ForAll("tsv") byte[] input) throws IOException {
        Path dir = Seeds.DIR.resolve("data").resolve("sst2");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("dev.tsv"), "sentence\tlabel\nfine\t1\n");
        Outcome.check(dir.resolve("train.tsv"), input, f -> TaskData.load("sst2", Seeds.DIR.resolve("data"), Seeds.DIR, null, 1));
    }

    @Provide
    Arbitrary<byte[]> points() {
        return Mutants.of(utf8("x,y,z\n1,2,3\n4.5,-6e-3,7\n0,0,1\n"), utf8("1 2\n3 4\n5 6\n"));
    }

    @Property(seed = "1519")
    void pointsCsv(@ForAll("points") byte[] input) throws IOException {
        Outcome.check(Seeds.DIR.resolve("points.csv"), input, PointsCsv::read);
    }

    @net.jqwik.api.lifecycle.AfterContainer
    static void report() {
        System.out.print(Outcome.tally());
    }
}
