#!/usr/bin/python3
"""Peer for bench/SilhouetteBench.java: writes 10,000 x 384 clustered points (float32) and labels, then times
scikit-learn's silhouette_score on them (Euclidean and cosine). Debian: apt-get install python3-sklearn."""
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
    result[metric] = {"score": float(score), "seconds": sorted(times)[1]}
json.dump(result, open(out + "/sklearn.json", "w"))
print(json.dumps(result))
