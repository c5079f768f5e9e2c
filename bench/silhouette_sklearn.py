#!/usr/bin/python3
"""Peer for bench/SilhouetteBench.java: writes 10,000 x 384 clustered points (float32) and labels, then times
scikit-learn's silhouette_score on them (Euclidean and cosine), and computes its float64 score (untimed). Debian: apt-get install python3-sklearn."""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.metrics import silhouette_score

out, n, d, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(0)
centres = rng.normal(0, 1, (k, d))
labels = rng.integers(0, k, n).astype(np.int32)
x = (centres[labels] + rng.normal(0, 2, (n, d))).astype(np.float32)
x.tofile(out + "/x.f32")
labels.tofile(out + "/labels.i32")
result = {"sklearn": sklearn.__version__, "n": n, "d": d, "k": k}
for metric in ("euclidean", "cosine"):
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        score = silhouette_score(x, labels, metric=metric)
        times.append(time.perf_counter() - t0)
    # the timed runs compute in float32, as scikit-learn does for float32 input; the float64 score (untimed) is the
    # reference both are compared against
    exact = silhouette_score(x.astype(np.float64), labels, metric=metric)
    result[metric] = {"score": float(score), "seconds": sorted(times)[1], "score_float64": float(exact)}
json.dump(result, open(out + "/sklearn.json", "w"))
print(json.dumps(result))
