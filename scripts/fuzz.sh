#!/usr/bin/env bash
# The parser fuzzers (core/src/test/java/tracelens/fuzz) with more inputs than mvn verify's 1,000 per parser.
# Usage: scripts/fuzz.sh [inputs per parser] (default 100000). Prints, per parser file, how many generated inputs were
# accepted and how many refused as bad input; any other outcome fails the run and saves the input under
# core/target/fuzz-failures/. Figures go in RELIABILITY.md.
set -euo pipefail
cd "$(dirname "$0")/.."
tries="${1:-100000}"
start=$(date +%s)
mvn -B -q -pl core test -Dtest='tracelens.fuzz.*FuzzTest' -Djqwik.tries.default="$tries" -DtrimStackTrace=false >/dev/null 2>&1 || status=$?
cat core/target/surefire-reports/tracelens.fuzz.*FuzzTest-output.txt 2>/dev/null | grep -E "accepted" | sort -u
grep -h "Tests run" core/target/surefire-reports/tracelens.fuzz.*FuzzTest.txt
ls core/target/fuzz-failures 2>/dev/null && echo "failing inputs saved in core/target/fuzz-failures"
echo "$tries inputs per parser, $(( $(date +%s) - start )) s, $(lscpu | sed -n 's/^Model name: *//p')"
exit "${status:-0}"
