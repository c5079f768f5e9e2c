# The native runtime environment of every tracelens JVM: sourced (not run) by ./tracelens, ./tracelens-spark and
# core/bin/java (the JVM of the tests and of bench/), so that tests check and benchmarks measure what a user runs.
# Needs `here` set to the repository root. Each setting keeps a value the user already exported. Afterwards
# `tracelens_jit` holds the JVM's JIT options and `tracelens_gc` its garbage collector.

export RUST_FLAVOR="${RUST_FLAVOR:-cpu}"
# libtorch warns once that autograd uses a deprecated mode; keep its C++ log to errors
export TORCH_CPP_LOG_LEVEL="${TORCH_CPP_LOG_LEVEL:-ERROR}"
# the same seed gives the same numbers: without this MKL chooses kernels by memory alignment, and results can differ
# in the last bits between runs (MKL_CBWR=AUTO trades that for speed)
export MKL_CBWR="${MKL_CBWR:-AUTO,STRICT}"
# TRACELENS_CROSS_CPU=1: the same numbers on every x86-64 processor (AVX-512, AVX2, AMD, Intel) by pinning the math
# library, ATen and oneDNN to SSE2-level kernels; 2-3x slower training (BENCHMARKS.md). Same values as runtime/CrossCpu.
if [ "${TRACELENS_CROSS_CPU:-0}" = 1 ]; then
  export MKL_CBWR=COMPATIBLE,STRICT ATEN_CPU_CAPABILITY=default ONEDNN_MAX_CPU_ISA=SSE41
fi

# AMD processors get two settings, each measured there (BENCHMARKS.md, "Where the time went on the AMD EPYC").
# TRACELENS_MKL_DISPATCH=0 turns the first off, =1 forces it on any processor; ONEDNN_MAX_CPU_ISA set by the user wins
# over the second. Without a C compiler the first is skipped. TRACELENS_CPUINFO names another file to read the
# processor from than /proc/cpuinfo (for tests).
tracelens_cpuinfo="${TRACELENS_CPUINFO:-/proc/cpuinfo}"
tracelens_amd_avx512=0
tracelens_amd_cache_leaf=1 # 0: an AMD processor that hides its cache description
if grep -q '^vendor_id.*AuthenticAMD' "$tracelens_cpuinfo" 2>/dev/null; then
  grep -q '^flags.* avx512f' "$tracelens_cpuinfo" && tracelens_amd_avx512=1
  grep -q '^flags.* topoext\b' "$tracelens_cpuinfo" || tracelens_amd_cache_leaf=0
fi
# 1. The math library's processor dispatch on AMD processors with AVX-512 (Zen 4, Zen 5;
#    core/src/main/c/mkl_intel_cpu.c): preload a one-function library that tells MKL it may use its AVX-512 kernels (it
#    otherwise keeps to AVX2 on AMD): MiniLM extraction 5,223 -> 7,344+ tokens/s on a 2-core EPYC.
tracelens_mkl_dispatch="${TRACELENS_MKL_DISPATCH:-auto}"
if [ "$tracelens_mkl_dispatch" = auto ]; then
  tracelens_mkl_dispatch=$tracelens_amd_avx512
fi
if [ "$tracelens_mkl_dispatch" = 1 ]; then
  tracelens_shim="$here/core/target/libtracelens-mkl-cpu.so"
  tracelens_shim_src="$here/core/src/main/c/mkl_intel_cpu.c"
  if [ ! -f "$tracelens_shim" ] || [ "$tracelens_shim_src" -nt "$tracelens_shim" ]; then
    mkdir -p "$here/core/target"
    cc -O2 -shared -fPIC -o "$tracelens_shim.$$" "$tracelens_shim_src" 2>/dev/null && mv -f "$tracelens_shim.$$" "$tracelens_shim" \
      || rm -f "$tracelens_shim.$$"
  fi
  case ":${LD_PRELOAD:-}:" in
    *":$tracelens_shim:"*) ;; # already preloaded (a launcher started from one)
    *) [ -f "$tracelens_shim" ] && export LD_PRELOAD="$tracelens_shim${LD_PRELOAD:+:$LD_PRELOAD}" ;;
  esac
fi
# 2. oneDNN at most AVX2 on AMD processors that do not describe their caches in CPUID leaf 8000001Dh (no "topoext"
#    flag: hypervisors hide it). oneDNN's processor detection (its Xbyak) reads that leaf on every AMD processor without
#    checking the flag, so an empty leaf gives caches of 1 byte, and its AVX-512 backward convolutions (jit:avx512_core,
#    jit_dw, brgconv_strided) then compute wrong input gradients: on a 2-core Zen 5 EPYC, ResNet-18's were off in 24,017
#    of 24,576 elements by up to 10% of the largest and VGG-16-BN's were NaN, so CNN training diverged at its first step.
#    Reproduced to the element on an Intel machine that shows the process such an AMD processor
#    (core/src/test/c/amd_cpuid.c, AmdCacheLeafTest); there, with the leaf filled, the AVX-512 kernels are right, and
#    with this cap the AVX2 kernels are right either way.
if [ "$tracelens_amd_cache_leaf" = 0 ] && [ "${TRACELENS_CROSS_CPU:-0}" != 1 ]; then
  export ONEDNN_MAX_CPU_ISA="${ONEDNN_MAX_CPU_ISA:-AVX2}"
fi

# The C allocator (glibc malloc) behind the engine's tensors: one arena, memory never handed back to the kernel. By
# default every thread but the first gets its own arena of 64 MiB heaps, unmapped as soon as they empty, and blocks
# over a moving threshold (at most 32 MiB) are mapped and unmapped per tensor, so every forward pass or distance block
# pages in fresh memory: on a 2-core AMD EPYC virtual machine MiniLM extraction took over a million page faults for
# 45k tokens and TwoNN's 82 MB distance blocks spent two thirds of their time faulting (BENCHMARKS.md, "Where the
# time went on the AMD EPYC"). Results are unchanged (MKL_CBWR above makes kernels independent of addresses);
# resident memory stays at the run's peak instead of falling back. TRACELENS_MALLOC_TUNING=0 turns it off; settings
# already in GLIBC_TUNABLES win.
if [ "${TRACELENS_MALLOC_TUNING:-1}" != 0 ]; then
  for tracelens_tunable in glibc.malloc.arena_max=1 glibc.malloc.mmap_max=0 glibc.malloc.trim_threshold=4294967296; do
    case ":${GLIBC_TUNABLES:-}:" in
      *":${tracelens_tunable%%=*}="*) ;;
      *) GLIBC_TUNABLES="${GLIBC_TUNABLES:+$GLIBC_TUNABLES:}$tracelens_tunable" ;;
    esac
  done
  export GLIBC_TUNABLES
fi

# JIT directives (core/compile-commands.txt): the vectorised kernels of ILM's linear algebra are compiled once on their
# own instead of again into every loop that calls them; on a 2-core machine the optimising compiler otherwise spends
# most of a short 'ilm' run recompiling callers (BENCHMARKS.md). Numbers are unchanged: only inlining differs.
tracelens_jit=()
[ -f "$here/core/compile-commands.txt" ] && tracelens_jit=(-XX:CompileCommandFile="$here/core/compile-commands.txt")
# Loops are compiled by the optimising compiler in the middle of a run (on-stack replacement) after 200,000 iterations
# instead of 40,000: fewer compilations of loops that end soon after, which on 2 cores take CPU from the work itself.
# `ilm` 1.13-1.22 s -> 1.07-1.12 s (4 alternating rounds), the demo and bench/all.sh unchanged (BENCHMARKS.md).
tracelens_jit+=(-XX:Tier4BackEdgeThreshold=200000)

# Garbage collector of the command-line JVMs (./tracelens and core/bin/java; not tracelens-spark, whose executors share
# one heap across parallel tasks): the serial collector. tracelens keeps its large data off the Java heap (memory-mapped
# files, the engine's native memory), and for such a heap G1's regions and concurrent threads cost memory and start-up
# time: the demo peaked at 1.24 GB instead of 1.69 GB in the same 47 s, `ilm` took 1.14-1.19 s instead of 1.24-1.26 s,
# and bench/all.sh was otherwise unchanged (BENCHMARKS.md). TRACELENS_GC=serial|parallel|g1 chooses; a collector the
# user names in TRACELENS_JAVA_OPTS, JAVA_TOOL_OPTIONS or JDK_JAVA_OPTIONS wins (the JVM refuses two).
tracelens_gc=()
case " ${TRACELENS_JAVA_OPTS:-} ${JAVA_TOOL_OPTIONS:-} ${JDK_JAVA_OPTIONS:-} " in
  *" -XX:+Use"*"GC "*) ;;
  *)
    case "${TRACELENS_GC:-serial}" in
      serial) tracelens_gc=(-XX:+UseSerialGC) ;;
      parallel) tracelens_gc=(-XX:+UseParallelGC) ;;
      g1) tracelens_gc=(-XX:+UseG1GC) ;;
      *) echo "error: TRACELENS_GC must be serial, parallel or g1, found '${TRACELENS_GC}'" >&2; exit 2 ;;
    esac
    ;;
esac

