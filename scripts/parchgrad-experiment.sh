#!/usr/bin/env bash
# ParchGrad on MNIST canvases (EXPERIMENTS.md): train a ResNet-18 per seed with `tracelens train-cnn`, then evaluate
# grad / inputgrad / SmoothGrad / IG plain and with ParchGrad (CLS, INS) against the digits' boxes and by pixel
# removal. Usage: scripts/parchgrad-experiment.sh [OUT] (default docs/experiments/parchgrad); SEEDS, TRAIN, EPOCHS,
# WIDTH, CANVAS and IMAGES override the sizes (the defaults fit a 2-core machine in about half an hour).
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/experiments/parchgrad}"
mkdir -p "$out"
for seed in ${SEEDS:-0 1 2}; do
  model="$out/model-seed$seed"
  if [ ! -s "$model/model.safetensors" ]; then
    ./tracelens train-cnn --out "$model" --train "${TRAIN:-4000}" --epochs "${EPOCHS:-5}" --width "${WIDTH:-16}" \
        --canvas "${CANVAS:-56}" --seed "$seed" --quiet
  fi
  [ -s "$out/eval-seed$seed.json" ] || ./tracelens parchgrad evaluate --model "$model" --images "${IMAGES:-30}" --seed "$seed" \
      --canvas "${CANVAS:-56}" \
      --out "$out/eval-seed$seed.json" --quiet
done
python3 - "$out" <<'PY'
import glob, json, statistics, sys
runs = [json.load(open(f)) for f in sorted(glob.glob(sys.argv[1] + "/eval-seed*.json"))]
acc = [json.load(open(f))["test_accuracy"] for f in sorted(glob.glob(sys.argv[1] + "/model-seed*/train.json"))]
print("models:", len(runs), "test accuracy", " ".join(f"{a:.3f}" for a in acc))
print("| method | ParchGrad | mu_in | mu_in_w | MoRF AOPC (higher: more faithful) | LeRF AOPC (lower: more faithful) |")
print("|---|---|---|---|---|---|")
for key in runs[0]["summary"]:
    cells = []
    for m in ["mu_in", "mu_in_w", "morf_aopc", "lerf_aopc"]:
        v = [r["summary"][key][m] for r in runs if r["summary"][key][m] is not None]
        sd = statistics.stdev(v) if len(v) > 1 else 0.0
        cells.append(f"{statistics.mean(v):.3f} ± {sd:.3f}")
    method, variant = key.split("/")
    print(f"| {method} | {variant} | " + " | ".join(cells) + " |")
print("(mean ± sd over the seeds' models; each value is the model's mean over its held-out canvases)")
PY
