#!/usr/bin/env bash
# Silhouette of 10,000 x 384 points: tracelens vs scikit-learn's silhouette_score (same points, same run), value and
# time. Needs Debian's python3-sklearn. Usage: bench/silhouette.sh [threads] (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
mvn -B -q -DskipTests -pl core -am package >/dev/null
cp="core/target/classes:$(cat core/target/classpath.txt)"
dir="$(mktemp -d)"
OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads /usr/bin/python3 bench/silhouette_sklearn.py "$dir" 10000 384 20 >/dev/null
core/bin/java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=$threads -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  -cp "$cp" bench/SilhouetteBench.java "$dir"
rm -rf "$dir"
