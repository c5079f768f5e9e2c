#!/usr/bin/env bash
# Every speed comparison against its peer in one go, then one table (the issue-16 table) with today's numbers and the
# CPU they ran on. Raw output in target/bench-all.log. Under 15 minutes on 2 cores. Usage: bench/all.sh
set -euo pipefail
cd "$(dirname "$0")/.."
log=target/bench-all.log
mkdir -p target
: > "$log"
mvn -B -q -DskipTests -pl core -am package >/dev/null
run() { echo "### $*" >> "$log"; "$@" >> "$log" 2>&1 || echo "### failed: $*" >> "$log"; }
start=$(date +%s)
run bench/activation-throughput.sh 2
run bench/geometry.sh 2
run bench/silhouette.sh 2
run bench/train-steps.sh 1
run bench/decoder-throughput.sh 1 2
run bench/ilm.sh 3
run bench/saliency.sh 1 2
echo "### total $(( $(date +%s) - start )) s" >> "$log"
/usr/bin/python3 bench/summarize.py "$log"
