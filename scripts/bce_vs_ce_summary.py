"""Summary of scripts/bce-vs-ce-experiment.sh: per model, K and loss, the held-out accuracy of the linear and MLP
identifiers at the best layer (the layer with the highest mean over seeds) and at the last layer, mean and standard
deviation over the 3 seeds, with chance (1/K)."""
import glob, json, os, re, statistics, sys

work = sys.argv[1]
runs = {}
for f in glob.glob(os.path.join(work, "*-k*-s*-*.json")):
    m = re.match(r"(.+)-k(\d+)-s(\d+)-(bce|ce)\.json$", os.path.basename(f))
    try:
        d = json.load(open(f))
    except ValueError:
        print("skipped (not finished): " + f, file=sys.stderr)
        continue
    runs.setdefault((m.group(1), int(m.group(2)), m.group(4)), []).append(d)


def stat(values):
    return "%.3f ± %.3f" % (statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0)


print("| model | K (sources kept) | loss | chance | linear, best layer | MLP, best layer | linear, last layer | MLP, last layer |")
print("|---|---|---|---|---|---|---|---|")
for (model, k, loss) in sorted(runs, key=lambda t: (t[0], t[1], t[2])):
    ds = runs[(model, k, loss)]
    layers = [l["layer"] for l in ds[0]["layers"]]
    def per_layer(key):
        return {i: [d["layers"][i][key] for d in ds] for i in range(len(layers))}
    cells = []
    for key in ("linear_accuracy", "mlp_accuracy"):
        pl = per_layer(key)
        best = max(pl, key=lambda i: statistics.mean(pl[i]))
        cells.append("%s (layer %d)" % (stat(pl[best]), layers[best]))
    for key in ("linear_accuracy", "mlp_accuracy"):
        cells.append(stat(per_layer(key)[len(layers) - 1]))
    print("| %s | %d (%d) | %s | %.3f | %s |" % (model, k, len(ds[0]["sources"]), loss, ds[0]["chance_accuracy"], " | ".join(cells)))
