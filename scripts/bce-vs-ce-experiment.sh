#!/usr/bin/env bash
# Issue 13's experiment: does BCE over one-hot targets keep working as the number of sources grows, where softmax
# cross-entropy struggles (the SIP post's claim)? State of the Union, one source per president, K in {3, 10, 30, all},
# MiniLM and stories260K, the original training protocol (every row, 10 epochs, final weights, Adam 1e-3 with the
# SIP schedule), linear and MLP (5 x 256) identifiers on every layer, 3 seeds (different passages and initialisation).
# One gather per (model, K, seed), then sip train once per loss on the same cache, so both losses see the same data.
# Usage: scripts/bce-vs-ce-experiment.sh [WORK_DIR]   (about 15 minutes on 2 cores; summary by scripts/bce_vs_ce_summary.py)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$root/target/bce-vs-ce}"
mkdir -p "$work"
tl="$root/tracelens"
stories="$root/../shared/models/stories260K/stories260K.bin"
for model in minilm stories260K; do
  m="$model"; [ "$model" = stories260K ] && m="$stories"
  for k in 3 10 30 100; do
    for seed in 0 1 2; do
      cache="$work/$model-k$k-s$seed"
      "$tl" sip gather --model "$m" --corpus sotu --words 64 --samples-per-source 20 --split document --test-fraction 0.3 \
        --max-sources "$k" --seed "$seed" --pool mean --dtype f32 --out "$cache" --quiet
      for loss in bce ce; do
        "$tl" sip train --cache "$cache" --input sentence --protocol original --loss "$loss" --seed "$seed" --json --quiet \
          > "$cache-$loss.json"
      done
      echo "$(date +%T) $model K=$k seed=$seed done" >&2
    done
  done
done
/usr/bin/python3 "$root/scripts/bce_vs_ce_summary.py" "$work"
