"""Writes a synthetic sharded activation store (tracelens.activations.store/1) for bench/scale-out.sh: N rows of
C float32 values in SHARDS shards, one layer (layer.6), three labels; seeded, so every run measures the same data.
Usage: /usr/bin/python3 bench/make_synthetic_store.py OUT N C SHARDS"""
import hashlib, json, os, struct, sys
import numpy as np

out, n, c, shards = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
os.makedirs(out)
rng = np.random.default_rng(0)
per = (n + shards - 1) // shards
entries = []
meta = {"format": "tracelens.activations/1", "model": "synthetic", "architecture": "none", "num_layers": "6",
        "hidden_size": str(c), "layers": "[6]", "pool": "mean", "max_length": "256", "dtype": "f32",
        "label_names": json.dumps(["a", "b", "c"])}
for s in range(shards):
    rows = min(per, n - s * per)
    x = (rng.standard_normal((rows, c)) * np.linspace(0.2, 3.0, c)).astype("<f4")
    y = rng.integers(0, 3, rows).astype("<i8")
    header = {"__metadata__": dict(meta, num_texts=str(rows), store_part="0"),
              "layer.6": {"dtype": "F32", "shape": [rows, c], "data_offsets": [0, x.nbytes]},
              "labels": {"dtype": "I64", "shape": [rows], "data_offsets": [x.nbytes, x.nbytes + y.nbytes]}}
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    name = "part-00000-%05d.safetensors" % s
    with open(os.path.join(out, name), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + x.tobytes() + y.tobytes())
    data = open(os.path.join(out, name), "rb").read()
    entries.append({"file": name, "rows": rows, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)})
manifest = {"format": "tracelens.activations.store/1", "model": "synthetic", "layers": [6], "pool": "mean", "dtype": "f32",
            "rows": n, "label_names": ["a", "b", "c"], "provenance": None, "shards": entries,
            "metadata": dict(meta, num_texts=str(n))}
json.dump(manifest, open(os.path.join(out, "manifest.json"), "w"), indent=2)
