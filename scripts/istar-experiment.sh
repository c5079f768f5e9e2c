#!/usr/bin/env bash
# Does decreasing isotropy (I-STAR with lambda < 0) improve fine-tuning accuracy? (Rudman & Eickhoff, ICLR 2024)
# MiniLM on SST-2 and CoLA subsets sized for a CPU, lambda in {-5, 0, +5} x seeds {0, 1, 2}; writes one JSON per
# run under $OUT and a Markdown table (mean +- sample standard deviation) on stdout.
# Usage: scripts/istar-experiment.sh [OUT_DIR]   (env: TRAIN_LIMIT, EPOCHS, LR, THREADS, DATA, SEEDS, LAMBDAS, TASKS)
# A run that fails (e.g. diverges) is recorded in OUT/<run>.failed and the others go on.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-target/istar-experiment}
TRAIN_LIMIT=${TRAIN_LIMIT:-1000}
EPOCHS=${EPOCHS:-3}
LR=${LR:-5e-5}
THREADS=${THREADS:-1}
DATA=${DATA:-../shared/data}
SEEDS=${SEEDS:-"0 1 2"}
LAMBDAS=${LAMBDAS:-"-5 0 5"}
TASKS=${TASKS:-"sst2 cola"}
mkdir -p "$OUT"
for task in $TASKS; do
  for lambda in $LAMBDAS; do
    for seed in $SEEDS; do
      f="$OUT/$task-lambda$lambda-seed$seed.json"
      [ -s "$f" ] && continue # finished earlier: the script resumes
      # lambda 0 is the unregularised baseline: the same run as --reg istar --lambda 0 without building C0
      reg=istar; [ "$lambda" = 0 ] && reg=none
      echo "== $task lambda=$lambda seed=$seed" >&2
      ./tracelens finetune --task "$task" --data-dir "$DATA" --train-limit "$TRAIN_LIMIT" --epochs "$EPOCHS" \
        --lr "$LR" --max-tokens 64 --reg "$reg" --lambda "$lambda" --zeta 0.2 --seed "$seed" --threads "$THREADS" \
        --out "$f" -q >/dev/null 2> "${f%.json}.err" || mv "${f%.json}.err" "${f%.json}.failed"
      rm -f "${f%.json}.err"
    done
  done
done
python3 - "$OUT" <<'PY'
import json, glob, os, statistics, sys
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.failed"))):
    print(f"failed: {os.path.basename(f)}: {open(f).read().strip().splitlines()[-1] if open(f).read().strip() else '?'}")
rows = {}
for f in sorted(glob.glob(os.path.join(sys.argv[1], "*.json"))):
    r = json.load(open(f))
    key = (r["task"], r["lambda"])
    rows.setdefault(key, []).append(r)
print("| task | metric | lambda | runs | score mean ± sd | accuracy mean | last-layer [CLS] IsoScore* mean | train batch IsoScore* (last epoch) | seconds/run |")
print("|---|---|---:|---:|---|---:|---:|---:|---:|")
for (task, lam), rs in sorted(rows.items()):
    metric = rs[0]["metric"]
    v = [r[metric] for r in rs]
    sd = statistics.stdev(v) if len(v) > 1 else float("nan")
    iso = statistics.mean(r["layers"][-1]["isoscore_star"] for r in rs)
    b = [r["history"][-1].get("batch_isoscore_star") for r in rs]
    bs = "–" if None in b else "%.4f" % statistics.mean(b)
    secs = statistics.mean(r["seconds"] for r in rs)
    acc = statistics.mean(r["accuracy"] for r in rs)
    print(f"| {task} | {metric} | {lam:+g} | {len(rs)} | {statistics.mean(v):.4f} ± {sd:.4f} | {acc:.4f} | {iso:.4f} | {bs} | {secs:.0f} |")
PY
