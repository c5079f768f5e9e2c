#!/usr/bin/env bash
# Radioactivity of watermarked text (EXPERIMENTS.md, issue 12 outcome 6; Sander et al. 2024): stories260K writes stories
# under a KGW green-list watermark; a copy of it is fine-tuned on them, another copy on unwatermarked stories; the
# suspect models answer the same prompts and their answers are scored for the watermark (closed-model mode, v2
# de-duplication, prompt windows skipped). The untouched model is the third arm.
# Usage: scripts/radioactive-lm-experiment.sh [OUT] (default docs/experiments/radioactive-lm). Sizes: STORIES, TOKENS,
# EPOCHS, LR, DELTA, GAMMA, H, KEY, ANSWERS, SEEDS. Needs ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/experiments/radioactive-lm}"
T="$PWD/tracelens"
M="${SHARED:-../shared}/models/stories260K/stories260K.bin"
STORIES="${STORIES:-400}"; TOKENS="${TOKENS:-128}"; EPOCHS="${EPOCHS:-3}"; LR="${LR:-1e-3}"; DELTA="${DELTA:-3}"; GAMMA="${GAMMA:-0.25}"
H="${H:-2}"; KEY="${KEY:-7}"; ANSWERS="${ANSWERS:-150}"; SEEDS="${SEEDS:-1000 2000 3000}"
work="$out/work"
mkdir -p "$work" "$out/runs"
printf '%s\n' "Once upon a time" "One day" "Lily and Tom" "The little dog" "There was a big tree" "Sam wanted to" \
  "In the park" "The sun was" "Mom said" "A small bird" > "$work/prompts.txt"
wm=(--gamma "$GAMMA" --context-width "$H")
[ -s "$work/watermarked.jsonl" ] || "$T" generate --model "$M" --prompts "$work/prompts.txt" --samples "$STORIES" --max-tokens "$TOKENS" \
    --temperature 1.0 --top-p 0.95 --seed 1 --watermark-key "$KEY" --delta "$DELTA" "${wm[@]}" --out "$work/watermarked.jsonl" --json --quiet \
    > "$out/runs/generate-watermarked.json"
[ -s "$work/clean.jsonl" ] || "$T" generate --model "$M" --prompts "$work/prompts.txt" --samples "$STORIES" --max-tokens "$TOKENS" \
    --temperature 1.0 --top-p 0.95 --seed 100001 --out "$work/clean.jsonl" --json --quiet > "$out/runs/generate-clean.json"
# the training texts themselves, scored: how strong the watermark is in what the suspect learns from
[ -s "$out/runs/data-watermarked.json" ] || "$T" radioactive lm-detect --model "$M" --texts "$work/watermarked.jsonl" --watermark-key "$KEY" \
    "${wm[@]}" --json --quiet > "$out/runs/data-watermarked.json"
for name in watermarked clean; do
  [ -s "$work/tuned-$name.safetensors" ] || "$T" finetune-lm --model "$M" --data "$work/$name.jsonl" --epochs "$EPOCHS" --lr "$LR" \
      --batch-size 16 --out "$work/tuned-$name.safetensors" --json --quiet > "$out/runs/finetune-$name.json"
done
for seed in $SEEDS; do
  for suspect in base tuned-watermarked tuned-clean; do
    model="$M"; [ "$suspect" = base ] || model="$work/$suspect.safetensors"
    [ -s "$out/runs/detect-$suspect-$seed.json" ] || "$T" radioactive lm-detect --model "$model" --prompts "$work/prompts.txt" \
        --samples "$ANSWERS" --max-tokens "$TOKENS" --seed "$seed" --watermark-key "$KEY" "${wm[@]}" --json --quiet \
        > "$out/runs/detect-$suspect-$seed.json"
  done
done
/usr/bin/python3 - "$out/runs" <<'PY' | tee "$out/summary.md"
import glob, json, os, statistics, sys
runs = sys.argv[1]
d = json.load(open(f"{runs}/data-watermarked.json"))
print(f"training data (watermarked stories): {d['green_tokens']} of {d['scored_tokens']} scored tokens green ({d['green_share']:.3f}), log10 p = {d['log10_p_value']:.1f}")
for name in ("watermarked", "clean"):
    f = json.load(open(f"{runs}/finetune-{name}.json"))
    print("fine-tuned on %s stories: %d texts, %d tokens, loss %.3f -> %.3f" % (name, f["texts"], f["tokens"], f["history"][0]["loss"], f["history"][-1]["loss"]))
print()
print("| suspect | answers' green share (per seed) | log10 p (per seed) | scored tokens (mean) |")
print("|---|---|---|---|")
for suspect in ("base", "tuned-clean", "tuned-watermarked"):
    rs = [json.load(open(f)) for f in sorted(glob.glob(f"{runs}/detect-{suspect}-*.json"))]
    shares = " ".join("%.3f" % r["green_share"] for r in rs)
    logs = " ".join("%.2f" % r["log10_p_value"] for r in rs)
    scored = statistics.mean(r["scored_tokens"] for r in rs)
    print(f"| {suspect} | {shares} | {logs} | {scored:.0f} |")
PY
