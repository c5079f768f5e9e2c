"""Summarises scripts/radioactive-experiment.sh's runs: the combined p-value per suspect and fraction, the accuracy cost
of marking, and the clean models' null distribution, checked two ways: their p-values against the real key, and each
clean model's aligned classifier (written by `radioactive detect --aligned-out`) against 200 random keys that nobody
could have trained on, scored here independently with SciPy (beta tail for the cosine, chi-square for Fisher).
Usage: radioactive_summary.py RUNS_DIR"""
import glob, json, math, os, re, sys
import numpy as np
from scipy import stats

runs = sys.argv[1]


def load(name):
    return json.load(open(os.path.join(runs, name)))


def cos_logp(c, d):
    # P(cos >= c) for a uniformly random direction in R^d: 1/2 I_{1-c^2}((d-1)/2, 1/2) for c >= 0
    if c >= 0:
        return math.log(0.5) + math.log(max(stats.beta.cdf(1 - c * c, (d - 1) / 2, 0.5), 1e-300))
    return math.log(1 - 0.5 * stats.beta.cdf(1 - c * c, (d - 1) / 2, 0.5))


def fisher_p(logps):
    return stats.chi2.sf(-2 * sum(logps), 2 * len(logps))


for kind in ("marked", "strong"):
    if not os.path.exists(os.path.join(runs, kind + ".json")):
        continue
    mark = load(kind + ".json")
    print(f"{kind}: marked {mark['marked']} of {mark['images']} images; PSNR mean {mark['psnr_mean']:.1f} dB (min {mark['psnr_min']:.1f});"
          f" feature shift along the carrier {mark['shift_along_carrier_mean']:.3f} (cosine {mark['shift_cosine_mean']:.3f})")
acc = {os.path.basename(f)[:-len(".train.json")]: json.load(open(f))["test_accuracy"] for f in glob.glob(runs + "/*.train.json")}
det = {os.path.basename(f)[:-len(".detect.json")]: json.load(open(f)) for f in glob.glob(runs + "/*.detect.json")}
print(f"marker test accuracy {acc.get('marker', float('nan')):.3f}")
print()
print("| suspect | q | test accuracy | mean cosine | log10 combined p |")
print("|---|---|---|---|---|")
rows = []
for name, d in det.items():
    m = re.match(r"(resnet|vgg|transfer|strong)-(q(\d+)|clean-s(\d+))", name)
    q = int(m.group(3)) if m.group(3) else 0
    rows.append((m.group(1), q, name, d))
for arch, q, name, d in sorted(rows, key=lambda r: (r[0], r[1], r[2])):
    print(f"| {arch} ({name}) | {q}% | {acc.get(name, float('nan')):.3f} | {np.mean(d['cosines']):+.4f} | {d['log10_combined_p_value']:.2f} |")
print()
clean = [d["combined_p_value"] for a, q, n, d in rows if q == 0]
print(f"clean suspects against the real key: p = {', '.join(f'{p:.3f}' for p in clean)}")
# the null distribution: each clean model's aligned classifier against 200 random keys
carriers_d = None
null, per_model = [], []
for f in sorted(glob.glob(runs + "/*clean*.aligned.csv")):
    w = np.loadtxt(f, delimiter=",", ndmin=2)
    c, d = w.shape
    w = w / np.linalg.norm(w, axis=1, keepdims=True)
    for seed in range(200):
        u = np.random.RandomState(1000 + seed).normal(size=(c, d))
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        cos = np.clip((w * u).sum(1), -1, 1)
        null.append(fisher_p([cos_logp(x, d) for x in cos]))
    per_model.append(stats.kstest(null[-200:], "uniform").pvalue)
if null:
    null = np.array(null)
    ks = stats.kstest(null, "uniform")
    hist = np.histogram(null, bins=10, range=(0, 1))[0]
    print(f"clean suspects against {len(null)} random keys: share with p < 0.05 {np.mean(null < 0.05):.3f}, p < 0.01"
          f" {np.mean(null < 0.01):.3f}, p < 1e-3 {np.mean(null < 1e-3):.4f}; KS test against uniform: D = {ks.statistic:.3f},"
          f" p = {ks.pvalue:.3f}; per model (200 keys each) KS p from {min(per_model):.2f} to {max(per_model):.2f}; deciles {' '.join(str(h) for h in hist)}")
for arch in ("resnet", "vgg", "transfer", "strong"):
    hits = sorted(q for a, q, n, d in rows if a == arch and q > 0 and d["log10_combined_p_value"] < -3)
    print(f"{arch}: smallest q detected at p < 1e-3: {str(hits[0]) + '%' if hits else 'none'}")
