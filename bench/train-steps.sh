#!/usr/bin/env bash
# Identifier training steps/s: tracelens vs PyTorch (Debian python3-torch + libopenblas0-pthread), same MLP, batch,
# loss, optimiser, schedule and clipping. Usage: bench/train-steps.sh [threads...] (default: 1 2)
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests -pl core -am package >/dev/null
cp="core/target/classes:$(cat core/target/classpath.txt)"
for threads in ${@:-1 2}; do
  core/bin/java -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$cp" bench/TrainSteps.java "$threads" 6400 5 2>&1 | grep -v Warning
  OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=$threads /usr/bin/python3 bench/train_steps_torch.py "$threads" 6400 5
done
