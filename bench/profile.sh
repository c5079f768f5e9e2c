#!/usr/bin/env bash
# Where a benchmark's time goes: runs one bench/*.java under Java Flight Recorder and prints the hottest frames of
# Java code (jdk.ExecutionSample) and of native calls into the engine (jdk.NativeMethodSample), top of stack and
# the first tracelens frame below it. Usage: bench/profile.sh BenchFile.java [args...]
set -euo pipefail
cd "$(dirname "$0")/.."
mvn -B -q -DskipTests -pl core -am package >/dev/null
cp="core/target/classes:core/target/test-classes:$(cat core/target/test-classpath.txt)"
jfr_file="$(mktemp --suffix .jfr)"
core/bin/java -XX:StartFlightRecording=filename="$jfr_file",settings=profile -Xlog:jfr=off -Dai.djl.offline=true \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=error -Xmx6g -cp "$cp" "bench/$1" "${@:2}" 2>&1 | grep -v Warning
for event in jdk.ExecutionSample jdk.NativeMethodSample; do
  echo "== $event (samples: top frame | first tracelens frame)"
  jfr print --events "$event" --stack-depth 64 "$jfr_file" | /usr/bin/python3 -c '
import re, sys, collections
top, ours, n = collections.Counter(), collections.Counter(), 0
for block in sys.stdin.read().split("jdk.")[1:]:
    frames = re.findall(r"^\s+([\w$.<>]+)\(", block, re.M)
    if not frames:
        continue
    n += 1
    top[frames[0]] += 1
    mine = next((f for f in frames if f.startswith("tracelens.") or f.startswith("bench.")), None)
    if mine:
        ours[mine] += 1
for (f, c), (g, d) in zip(top.most_common(12), ours.most_common(12) + [("", 0)] * 12):
    print("%5.1f%% %-60s | %5.1f%% %s" % (100 * c / n, f[-60:], 100 * d / n, g))
print("samples:", n)
'
done
rm -f "$jfr_file"
