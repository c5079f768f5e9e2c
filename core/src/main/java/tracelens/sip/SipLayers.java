package tracelens.sip;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import tracelens.activations.ActivationFile;
import tracelens.model.HiddenStateModel;
import tracelens.progress.Progress;
import tracelens.runtime.DjlRuntime;

/**
 * The per-layer part of a SIP run: the linear and MLP identifiers, nearest centroid, silhouettes, geometry and maps of
 * one layer, each layer written as a {@link SipRun.Finished} file as soon as it is done.
 *
 * <p>Layers are independent, so with N engine threads N layers run side by side, each on one engine thread: the
 * identifiers' tensors are small (a batch of 64 rows), their steps are bound by the latency of each engine call
 * rather than by arithmetic, and one engine thread per layer is faster than two threads on one layer (measured on
 * the demo: 4 MiniLM layers 18.0 s with 2 threads on each in turn, 14.6 s with 1, 12.5 s as two at once). Every layer's
 * numbers are the same either way: its computation and seeds do not depend on what else runs.
 */
record SipLayers(HiddenStateModel model, SipRun.Options o, Path out, int[] y, int k, List<String> names, int[][] split,
        double[][] c0, String digest, IdentifierTrainer.Options linOpts, IdentifierTrainer.Options mlpOpts, String fingerprint) {

    /** Runs the pending layers (indices into {@code layers}) into {@code done}, in parallel when the engine has threads to spare. */
    void run(NDManager manager, ActivationFile file, List<Integer> layers, List<Integer> pending, double[] ilm, SipRun.Finished[] done,
            Progress progress) {
        int threads = DjlRuntime.intraOpThreads();
        int workers = Math.min(pending.size(), threads);
        if (workers <= 1) {
            for (int li : pending) {
                done[li] = layer(manager, layers.get(li), file.pooled(layers.get(li)), ilm[li], progress);
            }
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "sip-layer");
            t.setDaemon(true);
            return t;
        });
        // at most `workers` layers in flight, so at most that many layers' states are held; progress from this thread
        ArrayDeque<InFlight> inFlight = new ArrayDeque<>();
        progress.start("layers: identifiers, silhouettes, geometry and maps (" + workers + " at a time)", pending.size());
        boolean failed = true;
        try {
            for (int li : pending) {
                if (inFlight.size() == workers) {
                    inFlight.poll().collect(done);
                    progress.advance(1);
                }
                int layer = layers.get(li);
                float[][] x = file.pooled(layer);
                double effect = ilm[li];
                inFlight.add(new InFlight(li, pool.submit(() -> {
                    DjlRuntime.setIntraOpThreads(1);
                    return layer(manager, layer, x, effect, Progress.NONE);
                })));
            }
            while (!inFlight.isEmpty()) {
                inFlight.poll().collect(done);
                progress.advance(1);
            }
            failed = false;
        } finally {
            if (failed) { // let the layers still running finish before the caller closes the arrays they use
                for (InFlight f : inFlight) {
                    try {
                        f.result().get();
                    } catch (Exception ignored) {
                        // the first failure is the one reported
                    }
                }
            }
            pool.shutdownNow();
            DjlRuntime.setIntraOpThreads(threads);
            progress.end();
        }
    }

    /** A layer being computed: its index into the run's layers and its result to come. */
    private record InFlight(int index, Future<SipRun.Finished> result) {
        /** Waits for the layer and puts it in its place; a failure is rethrown as it was raised. */
        void collect(SipRun.Finished[] done) {
            try {
                done[index] = result.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** One layer: identifiers, nearest centroid, silhouettes, geometry and maps; written to out/layers before it is returned. */
    SipRun.Finished layer(NDManager parent, int layer, float[][] x, double ilmEffect, Progress progress) {
        try (NDManager manager = parent.newSubManager()) {
            float[][] normed = SipRun.layerNorm(x);
            float[][] trainX = IdentifierTrainer.rows(normed, split[0]);
            int[] trainY = IdentifierTrainer.pick(y, split[0]);
            float[][] testX = IdentifierTrainer.rows(normed, split[1]);
            int[] testY = IdentifierTrainer.pick(y, split[1]);
            var lin = IdentifierTrainer.trainAndPredict(manager, trainX, trainY, testX, k, linOpts,
                    Progress.named(progress, "layer " + layer + " linear identifier, epochs (early stopping)"),
                    SipRun.saver(out, model, layer, "linear", names, Identifier.LINEAR, digest));
            double mlpAcc = Double.NaN;
            int mlpEpochs = 0;
            if (o.mlp()) {
                var mlp = IdentifierTrainer.trainAndPredict(manager, trainX, trainY, testX, k, mlpOpts,
                        Progress.named(progress, "layer " + layer + " MLP identifier, epochs (early stopping)"),
                        SipRun.saver(out, model, layer, "mlp", names, o.training().mlpHidden(), digest));
                mlpAcc = Metrics.accuracy(mlp.testLogits(), testY, k);
                mlpEpochs = mlp.epochsRun();
            }
            int[] predicted = Metrics.argmax(lin.testLogits(), k);
            // the rest of a layer (silhouettes, geometry, maps) takes seconds on large samples: its own task
            progress.start("layer " + layer + " silhouettes, geometry and maps", 4);
            try {
                double nc = NearestCentroid.fit(trainX, trainY, k).accuracy(testX, testY);
                double silE = Silhouette.score(x, y, Silhouette.Distance.EUCLIDEAN);
                progress.advance(1);
                double silC = Silhouette.score(x, y, Silhouette.Distance.COSINE);
                progress.advance(1);
                SipRun.Geometry g = SipRun.geometry(x, c0);
                progress.advance(1);
                SipRun.LayerResult result = new SipRun.LayerResult(layer, Metrics.accuracy(lin.testLogits(), testY, k), mlpAcc, nc,
                        Metrics.topK(lin.testLogits(), testY, k, 5), Metrics.macroF1(predicted, testY, k),
                        Metrics.macroF1Interval(predicted, testY, k, Metrics.BOOTSTRAP_RESAMPLES, o.seed() * 31 + layer), silE, silC,
                        Metrics.mostConfused(predicted, testY, k, 5), lin.epochsRun(), mlpEpochs, g, ilmEffect);
                SipRun.Finished finished = new SipRun.Finished(fingerprint, result, SipRun.maps(layer, x, y, k, o));
                finished.write(out);
                progress.advance(1);
                return finished;
            } finally {
                progress.end();
            }
        }
    }
}
