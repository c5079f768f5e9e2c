#!/usr/bin/env bash
# Saliency speed: a gradient map of one 224 x 224 image through ResNet-18, tracelens plain and with ParchGrad (8 hooked
# convolutions) vs PyTorch/torchvision plain, same threads. Usage: bench/saliency.sh [threads...] (default: 1 2).
# Needs Debian's python3-torch and python3-torchvision.
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests -pl core -am package >/dev/null
cp="core/target/classes:$(cat core/target/classpath.txt)"
for threads in ${@:-1 2}; do
  core/bin/java -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$cp" bench/SaliencyBench.java "$threads" 2>&1 | grep -v Warning
  OMP_NUM_THREADS=$threads /usr/bin/python3 bench/saliency_torch.py "$threads"
done
