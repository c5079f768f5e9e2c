#!/usr/bin/env bash
# Decoder forward (all hidden states) of a ~110M-parameter Llama-shaped model: tracelens vs PyTorch on the same
# random-weight folder, ids and threads; then generation with vs without the KV cache.
# Needs Debian's PyTorch with OpenBLAS behind it: apt-get install python3-torch libopenblas0-pthread (without
# OpenBLAS, Debian's torch falls back to the reference BLAS, about 40x slower). Usage: bench/decoder-throughput.sh [threads...] (default: 1 2)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests -pl core -am package >/dev/null
cp="core/target/classes:core/target/test-classes:$(cat core/target/test-classpath.txt)"
props="-Dai.djl.offline=true -Dai.djl.pytorch.num_interop_threads=1 -Dorg.slf4j.simpleLogger.defaultLogLevel=warn"
model="${TMPDIR:-/tmp}/tracelens-bench-llama110m"
[ -f "$model/model.safetensors" ] || core/bin/java $props -cp "$cp" bench/DecoderThroughput.java make "$model"
for threads in ${@:-1 2}; do
  for round in 1 2; do # alternate the two runtimes
    OMP_NUM_THREADS=$threads core/bin/java $props -Xmx4g -cp "$cp" bench/DecoderThroughput.java forward "$model" "$threads" 4 128 5
    # OpenBLAS's own pool fights torch's threads: measured best with OPENBLAS_NUM_THREADS=1 (470 vs 318 tokens/s at 2 threads)
    OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=$threads /usr/bin/python3 bench/decoder_torch.py "$model" "$threads" 4 128 5
  done
done
core/bin/java $props -Xmx4g -cp "$cp" bench/DecoderThroughput.java generate "$model" 2 64
