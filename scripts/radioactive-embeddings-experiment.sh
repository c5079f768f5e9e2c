#!/usr/bin/env bash
# Radioactive marking of published embeddings (EXPERIMENTS.md, issue 12 outcome 5): MiniLM mean-pooled vectors of
# SST-2 sentences are marked (e~ = e + alpha |e| u_y on a fraction q); a suspect trains a linear head or an MLP on
# them; the white-box test (alignment through held-out SST-2 dev vectors) gives the p-value. Clean heads are controls.
# Usage: scripts/radioactive-embeddings-experiment.sh [OUT] (default docs/experiments/radioactive-embeddings).
# Sizes: TRAIN (sentences, default 4000), FRACTIONS (percent), ALPHA, SEEDS, CLEAN_SEEDS, EPOCHS, HIDDEN. Needs ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/experiments/radioactive-embeddings}"
T="$PWD/tracelens"
data="${SHARED:-../shared}/data/sst2"
TRAIN="${TRAIN:-4000}"; FRACTIONS="${FRACTIONS:-1 2 5 10}"; ALPHA="${ALPHA:-0.1}"; SEEDS="${SEEDS:-1 2 3}"
CLEAN_SEEDS="${CLEAN_SEEDS:-1 2 3 4 5 6 7 8 9 10}"; EPOCHS="${EPOCHS:-20}"; HIDDEN="${HIDDEN:-256}"
work="$out/work"
mkdir -p "$work" "$out/runs"
if [ ! -s "$work/train.safetensors" ]; then
  head -n "$((TRAIN + 1))" "$data/train.tsv" > "$work/train.tsv"
  "$T" activations --input "$work/train.tsv" --text-column sentence --source-column label --layers -1 --pool mean \
      --out "$work/train.safetensors" --quiet
fi
[ -s "$work/dev.safetensors" ] || "$T" activations --input "$data/dev.tsv" --text-column content --source-column label \
    --layers -1 --pool mean --out "$work/dev.safetensors" --quiet
RIDGE="${RIDGE:-1e-3}"
head_run() { # head_run NAME DATA KEY HIDDEN SEED
  [ -s "$out/runs/$1.train.json" ] || "$T" radioactive train-head --embeddings "$2" --test "$work/dev.safetensors" --hidden "$4" \
      --epochs "$EPOCHS" --seed "$5" --out "$work/$1.head.safetensors" --json --quiet > "$out/runs/$1.train.json"
  [ -s "$out/runs/$1.detect.json" ] || "$T" radioactive detect --carriers "$3" --head "$work/$1.head.safetensors" \
      --embeddings "$work/dev.safetensors" --aligned-out "$out/runs/$1.aligned.csv" --json --quiet > "$out/runs/$1.detect.json"
  # the MLP's alignment is ill-conditioned on 872 anisotropic held-out vectors: also with a small ridge (EXPERIMENTS.md)
  if [ "$4" != 0 ] && [ ! -s "$out/runs/ridge-$1.detect.json" ]; then
    cp "$out/runs/$1.train.json" "$out/runs/ridge-$1.train.json"
    "$T" radioactive detect --carriers "$3" --head "$work/$1.head.safetensors" --embeddings "$work/dev.safetensors" --ridge "$RIDGE" \
        --aligned-out "$out/runs/ridge-$1.aligned.csv" --json --quiet > "$out/runs/ridge-$1.detect.json"
  fi
}
for s in $SEEDS; do
  for q in $FRACTIONS; do
    m="$work/marked-q$q-s$s.safetensors"
    [ -s "$m" ] || "$T" radioactive mark-embeddings --embeddings "$work/train.safetensors" --fraction "$(echo "$q / 100" | bc -l)" \
        --alpha "$ALPHA" --seed "$s" --out "$m" --quiet > /dev/null
    key="${m%.safetensors}.key.safetensors"
    head_run "linear-q$q-s$s" "$m" "$key" 0 "$s"
    head_run "mlp-q$q-s$s" "$m" "$key" "$HIDDEN" "$s"
  done
done
# controls: heads on the clean vectors, tested against the key of the 10% marking of seed 1
key="$work/marked-q$(echo $FRACTIONS | tr ' ' '\n' | sort -n | tail -1)-s$(echo $SEEDS | cut -d' ' -f1).key.safetensors"
for s in $CLEAN_SEEDS; do
  head_run "linear-clean-s$s" "$work/train.safetensors" "$key" 0 "$s"
  head_run "mlp-clean-s$s" "$work/train.safetensors" "$key" "$HIDDEN" "$s"
done
/usr/bin/python3 scripts/radioactive_embeddings_summary.py "$out/runs" | tee "$out/summary.md"
