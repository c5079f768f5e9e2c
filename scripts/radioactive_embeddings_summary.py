"""Summarises scripts/radioactive-embeddings-experiment.sh: per head and fraction, the combined p-value over seeds and
the accuracy cost; the clean heads' p-values against the real key and, independently with SciPy, their aligned
classifiers against 200 random keys each (the null distribution should be uniform). Usage: RUNS_DIR"""
import glob, json, math, os, re, sys
import numpy as np
from scipy import stats

runs = sys.argv[1]
det, acc = {}, {}
for f in glob.glob(runs + "/*.detect.json"):
    name = os.path.basename(f)[:-len(".detect.json")]
    det[name] = json.load(open(f))
    acc[name] = json.load(open(f.replace(".detect.json", ".train.json")))["test_accuracy"]
groups = {}
for name in det:
    head, q, seed = re.match(r"(linear|mlp|ridge-mlp)-(q\d+|clean)-s(\d+)", name).groups()
    groups.setdefault((head, q), []).append(name)


def order(k):
    return (k[0], -1 if k[1] == "clean" else int(k[1][1:]))


print("| head | q | runs | test accuracy | log10 combined p (per seed) | median |")
print("|---|---|---|---|---|---|")
for k in sorted(groups, key=order):
    names = sorted(groups[k])
    lp = [det[n]["log10_combined_p_value"] for n in names]
    a = [acc[n] for n in names]
    print(f"| {k[0]} | {k[1].replace('q', '') + '%' if k[1] != 'clean' else 'clean'} | {len(names)} | {np.mean(a):.3f} ± {np.std(a, ddof=1) if len(a) > 1 else 0:.3f}"
          f" | {' '.join(f'{v:.2f}' for v in lp)} | {np.median(lp):.2f} |")


def cos_logp(c, d):
    if c >= 0:
        return math.log(0.5) + math.log(max(stats.beta.cdf(1 - c * c, (d - 1) / 2, 0.5), 1e-300))
    return math.log(1 - 0.5 * stats.beta.cdf(1 - c * c, (d - 1) / 2, 0.5))


print()
for head in ("linear", "mlp", "ridge-mlp"):
    clean = [det[n]["combined_p_value"] for n in sorted(groups.get((head, "clean"), []))]
    null, per_head = [], []
    for f in sorted(glob.glob(f"{runs}/{head}-clean-*.aligned.csv")):
        w = np.loadtxt(f, delimiter=",", ndmin=2)
        c, d = w.shape
        for seed in range(200):
            u = np.random.RandomState(1000 + seed).normal(size=(c, d))
            u /= np.linalg.norm(u, axis=1, keepdims=True)
            cos = np.clip((w / np.linalg.norm(w, axis=1, keepdims=True) * u).sum(1), -1, 1)
            null.append(stats.chi2.sf(-2 * sum(cos_logp(x, d) for x in cos), 2 * c))
        per_head.append(stats.kstest(null[-200:], "uniform").pvalue)
    null = np.array(null)
    ks = stats.kstest(null[:200], "uniform")
    print(f"{head}: clean heads against the real key p = {', '.join(f'{p:.3f}' for p in clean)} (KS vs uniform p = "
          f"{stats.kstest(clean, 'uniform').pvalue:.2f}); against {len(null)} random keys: share p < 0.05 {np.mean(null < 0.05):.3f},"
          f" p < 1e-3 {np.mean(null < 1e-3):.4f}; KS against uniform per head (200 keys each): p from {min(per_head):.2f} to {max(per_head):.2f}")
    for k in sorted((k for k in groups if k[0] == head and k[1] != "clean"), key=order):
        if all(det[n]["log10_combined_p_value"] < -3 for n in groups[k]):
            print(f"{head}: smallest q detected at p < 1e-3 in every seed: {k[1][1:]}%")
            break
    else:
        print(f"{head}: no q detected at p < 1e-3 in every seed")
