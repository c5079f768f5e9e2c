#!/usr/bin/python3
"""Peer for bench/GeometryBench.java. Writes 100,000 x 768 anisotropic points (float32) and 20,000 x 384 points on a
curved 8-dimensional manifold, then times (a) IsoScore and IsoScore* (zeta 0.2, C0 = I) by their closed form in NumPy
(np.cov in float64, as the I-STAR code's torch.cov), and (b) TwoNN (fixed variant) with scikit-learn's exact
NearestNeighbors, as scikit-dimension computes it. Debian: apt-get install python3-sklearn."""
import json
import sys
import time

import numpy as np
import sklearn
from sklearn.neighbors import NearestNeighbors

out = sys.argv[1]
rng = np.random.default_rng(0)
m, n = 100_000, 768
x = (rng.normal(0, 1, (m, n)) * np.linspace(0.1, 3, n) + 0.5).astype(np.float32)
x.tofile(out + "/iso.f32")
m2, n2, d2 = 20_000, 384, 8
z = rng.normal(0, 1, (m2, d2))
y = np.tanh(z @ rng.normal(0, 1, (d2, n2))).astype(np.float32)
y.tofile(out + "/id.f32")


def isoscores(x, zeta):
    c = np.cov(x, rowvar=False)  # widens to float64
    t = np.trace(c)
    s = c / t
    iso = (1 / np.sum(s * s) - 1) / (c.shape[0] - 1)
    s = (1 - zeta) * c + zeta * np.eye(c.shape[0])
    s = s / np.trace(s)
    star = (1 / np.sum(s * s) - 1) / (c.shape[0] - 1)
    return iso, star


def two_nn(x):
    dist, _ = NearestNeighbors(n_neighbors=3, algorithm="brute").fit(x).kneighbors(x)
    mu = np.sort(dist[:, 2] / dist[:, 1])
    keep = int(np.floor(len(mu) * (1 - 0.1)))
    f = np.arange(1, keep + 1) / len(mu)
    xs, ys = np.log(mu[:keep]), -np.log(1 - f)
    return float(np.sum(xs * ys) / np.sum(xs * xs))


def timed(f, *a):
    times, v = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        v = f(*a)
        times.append(time.perf_counter() - t0)
    return v, sorted(times)[1]


(iso, star), t_iso = timed(isoscores, x, 0.2)
tw, t_tw = timed(two_nn, y)
r = {"numpy": np.__version__, "sklearn": sklearn.__version__, "iso": [m, n], "id": [m2, n2],
     "isoscore": float(iso), "isoscore_star": float(star), "isoscore_seconds": t_iso, "twonn": tw, "twonn_seconds": t_tw}
json.dump(r, open(out + "/numpy.json", "w"))
print(json.dumps(r))
