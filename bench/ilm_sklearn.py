"""ILM peer: the original's per-layer rule (PIFI-ILM ilm_direct.py, e2c8cab) with scikit-learn, on a tracelens
activation file. Writes the benchmark file first when asked: `make FILE` (400 x 24 layers x 896, seeded).
Usage: ilm_sklearn.py make FILE | ilm_sklearn.py run FILE
"""
import json, struct, sys, time
import numpy as np


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, arr in tensors.items():
        b = arr.tobytes()
        header[name] = {"dtype": {"float32": "F32", "int64": "I64"}[str(arr.dtype)], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype={"F32": np.float32, "I64": np.int64}[info["dtype"]]).reshape(info["shape"])
    return out, header.get("__metadata__", {})


def make(path, n=400, layers=24, d=896, seed=0):
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 2, n).astype(np.int64)
    t = {}
    for l in range(layers + 1):
        x = rng.normal(size=(n, d)).astype(np.float32) * 2
        x[:, :4] += (np.outer(2 * y - 1, np.ones(4)) * (0.15 * l)).astype(np.float32)  # the label grows with depth
        t["layer.%d" % l] = x
    t["labels"] = y
    write_safetensors(path, t, {"format": "tracelens.activations/1", "model": "synthetic", "num_layers": str(layers)})


def run(path, n_pcs=16, top_pc=5, lambdas=(0.5, 1.0)):
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    t, meta = read_safetensors(path)
    y = t["labels"]
    effects = []
    for L in range(int(meta["num_layers"])):
        X = t["layer.%d" % (L + 1)].astype(np.float32)
        pca = PCA(n_components=n_pcs, random_state=0).fit(X)
        S = pca.transform(X)
        r = np.array([abs(np.corrcoef(S[:, j], y)[0, 1]) for j in range(n_pcs)])
        J = np.argsort(-r)[:max(1, min(top_pc, n_pcs))]
        R = S[:, J] @ pca.components_[J]
        eff = 0.0
        for lam in lambdas:
            clf = LogisticRegression(max_iter=1000).fit(X, y)  # the original refits for each lambda
            acc0 = clf.score(X, y)
            acc1 = clf.score(X - lam * R, y)
            eff = max(eff, max(0.0, acc0 - acc1))
        effects.append(eff)
    return effects


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2])
    else:
        t0 = time.time()
        e = run(sys.argv[2])
        print(json.dumps({"seconds": time.time() - t0, "effects": e, "best": int(np.argmax(e))}))
