#!/usr/bin/env bash
# Activation extraction: tracelens vs ONNX Runtime (tokens/s, all MiniLM layers), then peak RSS of
# `tracelens activations` on 10k texts. Usage: bench/activation-throughput.sh [threads...] (default: 1 2)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests -pl core -am package >/dev/null
cp="core/target/classes:core/target/test-classes:$(cat core/target/test-classpath.txt)"
props="-Dai.djl.offline=true -Dai.djl.pytorch.num_interop_threads=1"
for t in "${@:-1 2}"; do
  for threads in $t; do
    OMP_NUM_THREADS=$threads core/bin/java $props -cp "$cp" bench/ActivationThroughput.java "$threads" 1024 32 5
  done
done

# Peak resident memory of the CLI for 1k and 10k texts: streaming means it should not grow with the input.
out="$(mktemp -d)"
for n in 1000 10000; do
  python3 - "$out/texts.txt" "$n" <<'PY'
import random, sys
random.seed(5)
words = "the union of states congress shall make no law respecting an establishment of religion or freedom speech press people".split()
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(" ".join(random.choice(words) for _ in range(random.randint(5, 60))) + "\n")
PY
  /usr/bin/time -v ./tracelens activations --input "$out/texts.txt" --out "$out/acts.safetensors" --quiet > "$out/run.txt" 2> "$out/time.txt"
  rss=$(awk -F: '/Maximum resident set size/ {gsub(/ /,"",$2); print $2}' "$out/time.txt")
  size=$(stat -c %s "$out/acts.safetensors")
  echo "$n texts: peak RSS $((rss / 1024)) MB, output $((size / 1000000)) MB; $(cat "$out/run.txt")"
done
rm -rf "$out"
