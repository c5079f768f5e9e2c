#!/usr/bin/env bash
# Radioactive data on MNIST canvases (EXPERIMENTS.md, issue 12 outcome 4): a ResNet-18 marker trained on clean canvases
# marks a fraction q of a fixed training folder; suspects are trained from scratch on the marked folder, (a) a ResNet-18
# with another seed and (b) a VGG16-BN; each is tested with the white-box test (least-squares alignment on held-out
# canvases). Clean suspects (same recipe, unmarked folder, several seeds) are the controls.
# Usage: scripts/radioactive-experiment.sh [OUT] (default docs/experiments/radioactive). Sizes: TRAIN, HELD, CANVAS, WIDTH,
# EPOCHS, FRACTIONS (percent), CLEAN_SEEDS, ITERATIONS. Steps already done (their output exists) are skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs/experiments/radioactive}"
T="$PWD/tracelens"
TRAIN="${TRAIN:-3000}"; HELD="${HELD:-500}"; CANVAS="${CANVAS:-40}"; WIDTH="${WIDTH:-16}"; EPOCHS="${EPOCHS:-4}"
FRACTIONS="${FRACTIONS:-1 2 5 10}"; CLEAN_SEEDS="${CLEAN_SEEDS:-1 2 3 4 5}"; ITERATIONS="${ITERATIONS:-90}"
work="$out/work"   # images and models (large; not committed)
mkdir -p "$work" "$out/runs"
[ -d "$work/train" ] || "$T" canvases --out "$work/train" --count "$TRAIN" --canvas "$CANVAS" --seed 0 --quiet
[ -d "$work/validation" ] || "$T" canvases --out "$work/validation" --count 500 --canvas "$CANVAS" --seed 7 --quiet
[ -d "$work/held" ] || "$T" canvases --out "$work/held" --count "$HELD" --canvas "$CANVAS" --seed 3 --test --quiet
train() { # train ARCH SEED DATA NAME [extra train-cnn options]
  [ -s "$work/$4/model.safetensors" ] || "$T" train-cnn --arch "$1" --seed "$2" --images "$3" --validation-images "$work/validation" \
      --test-images "$work/held" --width "$WIDTH" --epochs "$EPOCHS" --out "$work/$4" --quiet "${@:5}"
  cp "$work/$4/train.json" "$out/runs/$4.train.json"
}
train resnet18 0 "$work/train" marker
max=$(echo $FRACTIONS | tr ' ' '\n' | sort -n | tail -1)
mark() { # mark PREFIX ITERATIONS [extra mark options]: marks max% of the training folder; smaller fractions reuse its images
  [ -d "$work/$1-$max" ] || "$T" radioactive mark --model "$work/marker" --images "$work/train" --fraction "$(echo "$max / 100" | bc -l)" \
      --seed 11 --iterations "$2" --out "$work/$1-$max" --key "$work/$1.key.safetensors" --json --quiet "${@:3}" > "$out/runs/$1.json"
  cp "$work/$1-$max/marked.tsv" "$out/runs/$1.tsv"
  # smaller fractions: the first images of the same marked set (in a seeded order), the rest clean
  /usr/bin/python3 - "$work" "$1" "$max" "$TRAIN" $FRACTIONS <<'PY'
import os, random, shutil, sys
work, prefix, top, n, fr = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), [int(f) for f in sys.argv[5:]]
marked = [l.split("\t")[0] for l in open(f"{work}/{prefix}-{top}/marked.tsv").read().splitlines()[1:]]
random.Random(5).shuffle(marked)
for q in fr:
    dst = f"{work}/{prefix}-{q}"
    if q == top or os.path.isdir(dst):
        continue
    keep = set(marked[:round(q / 100 * n)])
    tmp = dst + ".partial"
    shutil.copytree(f"{work}/train", tmp)
    for f in keep:
        shutil.copyfile(f"{work}/{prefix}-{top}/{f}", f"{tmp}/{f}")
    os.rename(tmp, dst)
PY
}
mark marked "$ITERATIONS"
detect() { # detect NAME ARCH [KEY PREFIX]
  [ -s "$out/runs/$1.detect.json" ] || "$T" radioactive detect --carriers "$work/${3:-marked}.key.safetensors" --model "$work/$1" --arch "$2" \
      --marker "$work/marker" --images "$work/held" --aligned-out "$out/runs/$1.aligned.csv" --json --quiet > "$out/runs/$1.detect.json"
}
for q in $FRACTIONS; do
  train resnet18 1 "$work/marked-$q" "resnet-q$q"; detect "resnet-q$q" resnet18
  train vgg16_bn 1 "$work/marked-$q" "vgg-q$q"; detect "vgg-q$q" vgg16_bn
done
for s in $CLEAN_SEEDS; do train resnet18 "$s" "$work/train" "resnet-clean-s$s"; detect "resnet-clean-s$s" resnet18; done
train vgg16_bn 1 "$work/train" vgg-clean-s1; detect vgg-clean-s1 vgg16_bn
# transfer learning: the suspect retrains only the final layer of the (public) marking network on the data
for q in $FRACTIONS; do train resnet18 1 "$work/marked-$q" "transfer-q$q" --init "$work/marker" --train-head-only; detect "transfer-q$q" resnet18; done
for s in $CLEAN_SEEDS; do train resnet18 "$s" "$work/train" "transfer-clean-s$s" --init "$work/marker" --train-head-only; detect "transfer-clean-s$s" resnet18; done
# a positive control: marks three times stronger (R = 30 levels, 200 steps), transfer learning
mark strong 200 --radius 30
for q in $FRACTIONS; do train resnet18 1 "$work/strong-$q" "strong-q$q" --init "$work/marker" --train-head-only; detect "strong-q$q" resnet18 strong; done
/usr/bin/python3 scripts/radioactive_summary.py "$out/runs" | tee "$out/summary.md"
