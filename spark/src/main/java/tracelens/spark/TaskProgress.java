package tracelens.spark;

import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.SparkSession;
import tracelens.progress.Progress;

/** Reports finished tasks of the running job to a progress bar on stderr (the driver's view of the executors' work). */
final class TaskProgress extends SparkListener {
    private static TaskProgress current;
    private final Progress progress;

    private TaskProgress(Progress progress) {
        this.progress = progress;
    }

    static synchronized void attach(SparkSession s, Progress p) {
        current = new TaskProgress(p);
        s.sparkContext().addSparkListener(current);
    }

    static synchronized void detach(SparkSession s) {
        if (current != null) {
            s.sparkContext().removeSparkListener(current);
            current = null;
        }
    }

    @Override
    public void onTaskEnd(SparkListenerTaskEnd end) {
        if (end.taskInfo() != null && end.taskInfo().successful()) {
            synchronized (progress) {
                progress.advance(1);
            }
        }
    }
}
