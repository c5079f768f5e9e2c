#!/usr/bin/env bash
# Which engine setting makes a small `train-cnn` diverge on this processor (issue 16: on the AMD EPYC, with MKL's own
# processor dispatch, SaliencyCommandsTest's train-cnn diverged at its first step; not reproducible on Intel). Runs the
# test's command under each setting below and prints its exit code and the first error line, which names the tensors
# whose gradients hold the NaN (TrainingLoop's divergence check). Toy sizes: a few seconds a run.
# Usage: scripts/dispatch-probe.sh [extra train-cnn args...]
set -uo pipefail
cd "$(dirname "$0")/.."
./tracelens --version > /dev/null # builds if needed
grep -m1 'model name' /proc/cpuinfo
out="$(mktemp -d)"
settings=(
  ""
  "TRACELENS_MKL_DISPATCH=0"
  "TRACELENS_MKL_DISPATCH=1"
  "TRACELENS_MKL_DISPATCH=0 MKL_ENABLE_INSTRUCTIONS=AVX2"
  "TRACELENS_MKL_DISPATCH=0 MKL_CBWR=COMPATIBLE"
  "TRACELENS_MKL_DISPATCH=0 MKL_CBWR=AUTO"
  "TRACELENS_MKL_DISPATCH=0 ATEN_CPU_CAPABILITY=avx2"
  "TRACELENS_MKL_DISPATCH=0 ONEDNN_MAX_CPU_ISA=SSE41"
  "TRACELENS_MKL_DISPATCH=0 TRACELENS_ENGINE_BLAS=0"
  "TRACELENS_MKL_DISPATCH=0 TRACELENS_CROSS_CPU=1"
  "TRACELENS_MKL_DISPATCH=0 MKL_NUM_THREADS=1"
  "TRACELENS_MKL_DISPATCH=0 GLIBC_TUNABLES=glibc.malloc.perturb=1"
)
# The last two test two guesses at the AMD-only divergence: a race between MKL's threads, and a kernel reading memory
# it did not write (glibc then fills every fresh allocation with 0xFE bytes, -1.7e38 as float32, so such a read shows;
# under an emulated AMD processor on Intel the whole suite passes so, 2026-12-03).
for s in "${settings[@]}"; do
  rm -rf "$out/cnn"
  env $s ./tracelens train-cnn --out "$out/cnn" --width 4 --canvas 40 --train 40 --validation 20 --test 20 --epochs 1 \
    --batch-size 20 --json --quiet "$@" > "$out/stdout" 2> "$out/stderr"
  rc=$?
  first="$(grep -m1 -i -E 'error|diverged|exception' "$out/stderr" | cut -c1-220)"
  loss="$(/usr/bin/python3 -c "import json,sys; print(repr(json.load(open(sys.argv[1]))['history'][0]['loss']))" "$out/stdout" 2>/dev/null)"
  printf '%-55s rc %s  %s\n' "${s:-(launcher defaults)}" "$rc" "${first:-epoch-1 loss $loss}"
done
rm -rf "$out"
