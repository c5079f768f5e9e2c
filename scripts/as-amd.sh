#!/usr/bin/env bash
# Runs a command whose Java processes see an AMD EPYC (Zen 5) instead of this Intel processor, through CPUID faulting
# (core/src/test/c/amd_cpuid.c: Intel's math library then takes its Zen kernels, oneDNN and ATen detect an AMD
# processor, caches come from AMD's leaves). For reproducing AMD-only behaviour on an Intel machine; the launcher still
# reads /proc/cpuinfo, so set its AMD settings yourself (e.g. TRACELENS_MKL_DISPATCH=0, ONEDNN_MAX_CPU_ISA=AVX2).
# Needs the processor flag cpuid_fault and a C compiler. Knobs: see the source (AMDCPUID_L2_KB, AMDCPUID_L3_KB, ...).
# Usage: scripts/as-amd.sh COMMAND [ARGS...]   e.g. scripts/as-amd.sh env TRACELENS_MKL_DISPATCH=0 ./tracelens demo
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -gt 0 ] || { echo "usage: scripts/as-amd.sh COMMAND [ARGS...]" >&2; exit 2; }
grep -qw cpuid_fault /proc/cpuinfo || { echo "error: this processor has no CPUID faulting (flag cpuid_fault in /proc/cpuinfo)" >&2; exit 2; }
lib="$here/core/target/libamd-cpuid.so"
src="$here/core/src/test/c/amd_cpuid.c"
if [ ! -f "$lib" ] || [ "$src" -nt "$lib" ]; then
  mkdir -p "$here/core/target"
  cc -O2 -shared -fPIC -o "$lib" "$src"
fi
export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
exec "$@"
