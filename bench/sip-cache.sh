#!/usr/bin/env bash
# The SIP cache at scale: 100 sources x 100 samples x 256 tokens x 512 dims in f16 (2.6 GB, the size of a Pythia-70m
# layer over the successor setup) trains a bigram linear identifier with a 256 MB Java heap: rows stream from the
# memory-mapped cache. Reports the file size, training time, rows/s and peak RSS (which counts the file pages the
# kernel maps in, not heap). Usage: bench/sip-cache.sh [threads] [dir] (default 2, a temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
dir="${2:-$(mktemp -d)}"
mvn -B -q -DskipTests -pl core -am test-compile package >/dev/null
cp="core/target/classes:$(cat core/target/classpath.txt)"
if [ ! -s "$dir/activations.safetensors" ]; then
  t0=$(date +%s)
  core/bin/java -cp "core/target/test-classes:$cp" bench/WriteSyntheticCache.java "$dir" 100 100 256 512
  echo "wrote the cache in $(( $(date +%s) - t0 )) s"
fi
ls -l "$dir/activations.safetensors" | awk '{printf "cache: %.2f GB\n", $5 / 1e9}'
/usr/bin/time -v core/bin/java -Xmx256m -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=$threads \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$cp" tracelens.cli.Main \
  sip train --cache "$dir" --input bigram --probe linear --epochs 1 --json -q > "$dir/train.json" 2> "$dir/time.txt"
grep -E '"(linear_accuracy|train_rows|test_rows|chance_accuracy)"' "$dir/train.json" | tr -d ' ,'
grep -E "Elapsed|Maximum resident" "$dir/time.txt"
