#!/usr/bin/env bash
# Everything issue 16 asks to check on a processor, in one unattended run (about 40 minutes on 2 cores; start it in
# the background first thing on a machine of a kind not yet checked, e.g. the AMD EPYC):
#   1. the processor: model, vector extensions, caches as Linux and lscpu report them (MKL and oneDNN size their
#      blocks from the caches; a hypervisor that reports odd ones is one suspect for the AMD-only failures);
#   2. bench/all.sh, the issue's table (peers on OpenBLAS: checked first, since without it they run 40x slower);
#   3. scripts/dispatch-probe.sh, then the same small train-cnn with MKL's own dispatch and MKL_VERBOSE/ONEDNN_VERBOSE
#      on, so that a divergence comes with the list of kernels that ran;
#   4. the whole suite as the launcher sets the engine up (the processor-dispatch fix on where it applies) and with the
#      fix off (TRACELENS_MKL_DISPATCH=0); each test class that fails is then run alone under the same settings, with
#      MKL on one thread, and with every fresh allocation poisoned, so that one run tells order, race and
#      uninitialised memory apart.
# Logs in target/processor-checks/; the summary at the end names each log. Usage: scripts/processor-checks.sh
set -uo pipefail
cd "$(dirname "$0")/.."
logs=target/processor-checks
mkdir -p "$logs"
for pkg in python3-torch python3-sklearn python3-scipy libopenblas0-pthread; do
  dpkg -s "$pkg" > /dev/null 2>&1 || {
    echo "error: Debian package $pkg is missing (peers): apt-get install -y python3-torch python3-torchvision python3-sklearn python3-scipy libopenblas0-pthread" >&2
    exit 2
  }
done
start=$(date +%s)
step() { echo "[$(( $(date +%s) - start )) s] $*" >&2; }

step "processor"
{
  lscpu
  echo
  lscpu -C 2>/dev/null
  echo
  for c in /sys/devices/system/cpu/cpu0/cache/index*; do
    echo "$c: level $(cat "$c/level") $(cat "$c/type") $(cat "$c/size") shared by cpus $(cat "$c/shared_cpu_list")"
  done
  echo
  # the CPUID leaves the engine's libraries read for vendor, features and caches (oneDNN reads AMD caches from
  # 8000001Dh whether or not the topoext flag says the leaf is filled: README, "AMD processors")
  cat > "$logs/cpuid.c" <<'C'
#include <cpuid.h>
#include <stdio.h>
int main(void) {
  unsigned leaves[][2] = {{0, 0}, {1, 0}, {4, 0}, {7, 0}, {0x80000000u, 0}, {0x80000001u, 0}, {0x80000005u, 0}, {0x80000006u, 0},
    {0x80000008u, 0}, {0x8000001Du, 0}, {0x8000001Du, 1}, {0x8000001Du, 2}, {0x8000001Du, 3}, {0x8000001Du, 4}, {0x8000001Eu, 0}};
  for (unsigned i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
    unsigned a, b, c, d;
    __cpuid_count(leaves[i][0], leaves[i][1], a, b, c, d);
    printf("cpuid %08x.%u: eax %08x ebx %08x ecx %08x edx %08x\n", leaves[i][0], leaves[i][1], a, b, c, d);
  }
  return 0;
}
C
  cc -O1 -o "$logs/cpuid" "$logs/cpuid.c" && "$logs/cpuid"
  echo "topoext flag: $(grep -m1 -c -w topoext /proc/cpuinfo)"
} > "$logs/processor.txt" 2>&1

step "bench/all.sh"
bench/all.sh > "$logs/bench.txt" 2>&1
bench_rc=$?
cp target/bench-all.log "$logs/bench-raw.log" 2>/dev/null

step "dispatch probe"
scripts/dispatch-probe.sh > "$logs/dispatch-probe.txt" 2>&1
out="$(mktemp -d)"
TRACELENS_MKL_DISPATCH=0 MKL_VERBOSE=1 ONEDNN_VERBOSE=1 ./tracelens train-cnn --out "$out/cnn" --width 4 --canvas 40 \
  --train 40 --validation 20 --test 20 --epochs 1 --batch-size 20 --json > "$logs/train-cnn-verbose.txt" 2>&1
verbose_rc=$?
rm -rf "$out"

suite() { # name, environment...
  local name="$1"
  shift
  step "mvn -B verify ($name)"
  env "$@" mvn -B verify > "$logs/verify-$name.txt" 2>&1
  local rc=$?
  local counts
  counts="$(grep -E 'Tests run: [0-9]+, Failures' "$logs/verify-$name.txt" | grep -v ' in ' | tr '\n' ';')"
  echo "verify ($name): rc $rc; ${counts:-no test summary}; log $logs/verify-$name.txt"
  local failed cls
  failed="$(grep -l -E '(FAILURE|ERROR)!' core/target/surefire-reports/*.txt 2>/dev/null | sed 's|.*/||; s|\.txt$||')"
  for cls in $failed; do
    alone "$name" "$cls" "$@"
    alone "$name-1thread" "$cls" "$@" MKL_NUM_THREADS=1
    alone "$name-poisoned" "$cls" "$@" GLIBC_TUNABLES=glibc.malloc.perturb=1
  done
}
alone() { # name, test class, environment...: the class on its own (the build from the suite's run)
  local name="$1" cls="$2"
  shift 2
  step "$cls alone ($name)"
  env "$@" mvn -B -o -q -pl core surefire:test -Dtest="$cls" -Dsurefire.failIfNoSpecifiedTests=false \
    > "$logs/alone-$name-$cls.txt" 2>&1
  echo "  $cls alone ($name): rc $?; log $logs/alone-$name-$cls.txt"
}
summary="$(suite dispatch-default; suite dispatch-off TRACELENS_MKL_DISPATCH=0)"

step "done"
{
  echo "== processor ($logs/processor.txt)"
  grep -m1 'model name' /proc/cpuinfo
  grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx|fma|amx)' | tr '\n' ' '
  echo
  grep -E '/sys|topoext|cpuid 8000001d' "$logs/processor.txt"
  echo "== bench/all.sh (rc $bench_rc; $logs/bench.txt)"
  cat "$logs/bench.txt"
  echo "== dispatch probe ($logs/dispatch-probe.txt)"
  cat "$logs/dispatch-probe.txt"
  echo "train-cnn with MKL's own dispatch, verbose: rc $verbose_rc; $logs/train-cnn-verbose.txt"
  echo "== suite"
  echo "$summary"
} | tee "$logs/summary.txt"
