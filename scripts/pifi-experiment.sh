#!/usr/bin/env bash
# PiFi on a CPU-sized SST-2 subset (EXPERIMENTS.md): MiniLM alone (base) vs PiFi with stories260K's last block vs
# PiFi with the block ILM selects, over seeds. Writes one JSON per run to OUT (default docs/experiments/pifi) and
# prints the table. Usage: scripts/pifi-experiment.sh [OUT] [LLM] (LLM: a llama2.c file or a Hugging Face folder,
# e.g. a local Qwen2-0.5B; default ../shared/models/stories260K/stories260K.bin)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/experiments/pifi}"
llm="${2:-../shared/models/stories260K/stories260K.bin}"
seeds="${SEEDS:-42 1004 2023}"
limits=(--train-limit "${TRAIN:-500}" --validation-limit "${VALIDATION:-200}" --test-limit "${TEST:-500}")
mkdir -p "$out"
for seed in $seeds; do
  for cfg in base last best; do
    f="$out/sst2-$cfg-seed$seed.json"
    [ -s "$f" ] && continue
    case $cfg in
      base) args=(--method base) ;;
      last) args=(--llm "$llm" --llm-layer -1) ;;
      best) args=(--llm "$llm" --llm-layer best) ;;
    esac
    echo "== $cfg seed $seed" >&2
    ./tracelens pifi train --task sst2 "${args[@]}" "${limits[@]}" --seed "$seed" --out "$f" --quiet || echo "run $cfg seed $seed failed" >&2
  done
done
python3 - "$out" <<'PY'
import glob, json, statistics, sys
rows = {}
for f in sorted(glob.glob(sys.argv[1] + "/sst2-*.json")):
    r = json.load(open(f))
    cfg = f.split("sst2-")[1].split("-seed")[0]
    rows.setdefault(cfg, []).append(r)
print("| configuration | LLM block | test accuracy (mean ± sd) | test macro-F1 | runs |")
print("|---|---|---|---|---|")
for cfg in ["base", "last", "best"]:
    rs = rows.get(cfg, [])
    if not rs:
        continue
    acc = [r["test_accuracy"] for r in rs]
    f1 = [r["test_macro_f1"] for r in rs]
    sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
    layers = sorted({str(r.get("llm_layer", "-")) for r in rs})
    print(f"| {cfg} | {', '.join(layers)} | {statistics.mean(acc):.4f} ± {sd(acc):.4f} | {statistics.mean(f1):.4f} ± {sd(f1):.4f} | {len(rs)} |")
PY
