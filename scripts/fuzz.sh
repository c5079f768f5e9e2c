#!/usr/bin/env bash
# The parser fuzzers (src/test/java/tracelens/fuzz) with more inputs than mvn verify's 1,000 per parser.
# Usage: scripts/fuzz.sh [inputs per parser] (default 100000). Prints, per parser file, how many generated inputs were
# accepted and how many refused as bad input; any other outcome fails the run and saves the input under
# target/fuzz-failures/. Figures go in RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
tries="${1:-100000}"
start=$(date +%s)
mvn -B -q test -Dtest='tracelens.fuzz.*FuzzTest' -Djqwik.tries.default="$tries" -DtrimStackTrace=false >/dev/null 2>&1 || status=$?
cat target/surefire-reports/tracelens.fuzz.*FuzzTest-output.txt 2>/dev/null | grep -E "accepted" | sort -u
grep -h "Tests run" target/surefire-reports/tracelens.fuzz.*FuzzTest.txt
ls target/fuzz-failures 2>/dev/null && echo "failing inputs saved in target/fuzz-failures"
echo "$tries inputs per parser, $(( $(date +%s) - start )) s, $(lscpu | sed -n 's/^Model name: *//p')"
exit "${status:-0}"
