package tracelens.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Option;

/** Where the job runs: spark-submit's master, or --master (local[N] from the launcher). */
public final class SparkOptions {
    @Option(names = "--master", paramLabel = "URL",
            description = "Spark master: local[N] (N executor threads in this JVM), local[N,F] (F tries a task), or a cluster's URL. (default: spark-submit's, else local[*])")
    String master;

    /** A session for {@code app}; its UI stays off unless spark.ui.enabled says otherwise. */
    SparkSession session(String app) {
        SparkConf conf = new SparkConf(true);
        if (master != null) {
            conf.setMaster(master);
        } else if (!conf.contains("spark.master")) {
            conf.setMaster("local[*]");
        }
        conf.setIfMissing("spark.ui.enabled", "false");
        conf.setAppName("tracelens-spark " + app);
        return SparkSession.builder().config(conf).getOrCreate();
    }
}
