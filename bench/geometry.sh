#!/usr/bin/env bash
# IsoScore/IsoScore* on 100,000 x 768 points vs NumPy's closed form, and TwoNN on 20,000 x 384 points vs
# scikit-learn's NearestNeighbors: same points, same run, values and times. Needs Debian's python3-sklearn.
# Usage: bench/geometry.sh [threads] (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
threads="${1:-2}"
mvn -B -q -DskipTests -pl core -am package >/dev/null
cp="core/target/classes:$(cat core/target/classpath.txt)"
dir="$(mktemp -d)"
OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads /usr/bin/python3 bench/geometry_numpy.py "$dir" >/dev/null
core/bin/java -Xmx4g -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=$threads -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  -cp "$cp" bench/GeometryBench.java "$dir"
rm -rf "$dir"
