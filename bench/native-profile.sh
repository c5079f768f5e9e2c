#!/usr/bin/env bash
# Where a benchmark's native time goes (the engine's kernels, the allocator, the kernel's page faults), without the
# engine's own profiler, which distorts short ops (BENCHMARKS.md, "Where the time went on the AMD EPYC"): runs one
# bench/*.java in the product's environment under Linux perf, sampling CPU time (a software clock, so it works in
# virtual machines without hardware counters), then prints the page faults, the time per library and the hottest
# symbols. Needs Debian's linux-perf. TRACELENS_MALLOC_TUNING=0 (or any runtime-env switch) compares settings.
# Usage: bench/native-profile.sh BenchFile.java [args...]
set -euo pipefail
cd "$(dirname "$0")/.."
command -v perf >/dev/null || { echo "error: perf is needed (Debian package linux-perf)" >&2; exit 2; }
mvn -B -q -DskipTests -pl core -am test-compile package >/dev/null
cp="core/target/classes:core/target/test-classes:$(cat core/target/test-classpath.txt)"
data="$(mktemp --suffix .perf)"
stat="$(mktemp)"
perf stat -e page-faults -o "$stat" perf record -q -F 999 -e cpu-clock -o "$data" \
  core/bin/java -Dai.djl.offline=true -Dorg.slf4j.simpleLogger.defaultLogLevel=error -cp "$cp" "bench/$1" "${@:2}" 2>&1 | grep -v Warning
grep page-faults "$stat"
echo "== time per library"
perf report -i "$data" --no-children --sort dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -8
echo "== hottest symbols"
perf report -i "$data" --no-children --sort dso,sym --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -20 | cut -c1-160
rm -f "$data" "$stat"
