/*
 * Test-only: makes a Java process on an Intel processor see an AMD EPYC (Zen 5, family 1Ah) through the CPUID
 * instruction itself, so that every library in it (Intel's math library, oneDNN, ATen's cpuinfo, the JVM) takes the
 * code paths it takes on AMD processors. core/src/test/c/mkl_not_intel_cpu.c answers only MKL's two vendor checks; this
 * answers the instruction, so MKL also picks its Zen kernels by its own rules (perf shows
 * mkl_blas_cnr_def_sgemm_kernel_0_zen instead of mkl_blas_avx512_sgemm_kernel_0), and cache sizes come from AMD's leaves.
 *
 * How: Linux's CPUID faulting (arch_prctl ARCH_SET_CPUID 0; the processor flag "cpuid_fault"), set in a constructor
 * before main and inherited by every thread created after it. Each CPUID then raises SIGSEGV; the handler runs the real
 * instruction with faulting briefly off, rewrites vendor, family and model, brand, leaf 4 (reserved on AMD), the AMD
 * cache leaves 80000005h/80000006h/8000001Dh and the Intel-only features of leaf 7 (AMX, AVX512-FP16), and steps over
 * the instruction. The JVM installs its own SIGSEGV handler later and passes signals it does not own to this one
 * (HotSpot's signal chaining, on by default). Only a process whose executable is named "java" is switched: other
 * programs with SIGSEGV handlers of their own that do not chain (gcc's cc1, node) would die on their next CPUID.
 *
 * Knobs, for processors' cache reports that differ: AMDCPUID_L1_KB (default 48), AMDCPUID_L2_KB (1024), AMDCPUID_L3_KB (32768),
 * AMDCPUID_TOPOEXT=0 (no leaf 8000001Dh, as on hypervisors that hide it), AMDCPUID_LEAF1_EAX (family/model/stepping,
 * default 0x00B00F21: family 1Ah, model 2). Build: cc -O2 -shared -fPIC -o libamd-cpuid.so amd_cpuid.c
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static struct sigaction previous;

static void real_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
}

static uint32_t knob(const char *name, uint32_t fallback) {
    const char *v = getenv(name);
    return v && *v ? (uint32_t) strtoul(v, 0, 0) : fallback;
}

static void vendor(uint32_t r[4]) {
    memcpy(&r[1], "Auth", 4);
    memcpy(&r[3], "enti", 4);
    memcpy(&r[2], "cAMD", 4);
}

/* one cache in the layout of leaf 8000001Dh (Intel's leaf 4): type, level, sharing threads, 64-byte lines, ways, sets */
static void cache(uint32_t type, uint32_t level, uint32_t kb, uint32_t ways, uint32_t sharing, uint32_t r[4]) {
    r[0] = type | (level << 5) | (1u << 8) | ((sharing - 1) << 14);
    r[1] = 63 | ((ways - 1) << 22);
    r[2] = kb * 1024 / (64 * ways) - 1;
    r[3] = 0;
}

static void emulate(uint32_t leaf, uint32_t sub, uint32_t r[4]) {
    uint32_t eax1 = knob("AMDCPUID_LEAF1_EAX", 0x00B00F21);
    uint32_t l1 = knob("AMDCPUID_L1_KB", 48);
    uint32_t l2 = knob("AMDCPUID_L2_KB", 1024);
    uint32_t l3 = knob("AMDCPUID_L3_KB", 32768);
    int topoext = knob("AMDCPUID_TOPOEXT", 1) != 0;
    int cacheLeaf = knob("AMDCPUID_CACHE_LEAF", topoext) != 0;
    memset(r, 0, 16);
    if (leaf < 0x80000000u) {
        if (leaf > 0x10) {
            return; /* beyond AMD's last basic leaf */
        }
        real_cpuid(leaf, sub, r);
        if (leaf == 0) {
            r[0] = 0x10;
            vendor(r);
        } else if (leaf == 1) {
            r[0] = eax1;
        } else if (leaf == 4) {
            memset(r, 0, 16);
        } else if (leaf == 7 && sub == 0) {
            r[3] &= ~((1u << 22) | (1u << 23) | (1u << 24) | (1u << 25)); /* AMX-BF16, AVX512-FP16, AMX-TILE, AMX-INT8 */
        }
        return;
    }
    uint32_t host[4];
    switch (leaf) {
        case 0x80000000u:
            r[0] = 0x80000021u;
            vendor(r);
            break;
        case 0x80000001u:
            real_cpuid(leaf, 0, host);
            r[0] = eax1;
            r[2] = host[2] | (1u << 1) | (1u << 6) | (1u << 7) | (topoext ? 1u << 22 : 0); /* CmpLegacy SSE4A MisAlignSse TopoExt */
            r[3] = host[3] | (1u << 22) | (1u << 25); /* MmxExt, FFXSR */
            break;
        case 0x80000002u:
        case 0x80000003u:
        case 0x80000004u: {
            static const char brand[49] = "AMD EPYC 9B45 128-Core Processor                ";
            memcpy(r, brand + 16 * (leaf - 0x80000002u), 16);
            break;
        }
        case 0x80000005u:
            r[2] = (l1 << 24) | (12u << 16) | (1u << 8) | 64; /* L1 data, 12-way */
            r[3] = (32u << 24) | (8u << 16) | (1u << 8) | 64;  /* L1 instructions: 32 KB, 8-way */
            break;
        case 0x80000006u:
            r[2] = (l2 << 16) | (0x8u << 12) | (1u << 8) | 64;         /* L2, 16-way */
            r[3] = ((l3 / 512) << 18) | (0x8u << 12) | (1u << 8) | 64; /* L3 in 512 KB units, 16-way */
            break;
        case 0x80000008u:
            real_cpuid(leaf, 0, host);
            r[0] = host[0];      /* address sizes */
            r[2] = 1 | (4u << 12); /* 2 cores */
            break;
        case 0x8000001Du:
            if (cacheLeaf) {
                switch (sub) {
                    case 0: cache(1, 1, l1, 12, 1, r); break;
                    case 1: cache(2, 1, 32, 8, 1, r); break;
                    case 2: cache(3, 2, l2, 16, 1, r); break;
                    case 3: cache(3, 3, l3, 16, 2, r); break;
                    default: break;
                }
            }
            break;
        default:
            break;
    }
}

static void on_segv(int sig, siginfo_t *si, void *context) {
    ucontext_t *uc = context;
    unsigned char *ip = (unsigned char *) uc->uc_mcontext.gregs[REG_RIP];
    if (si->si_code == SI_KERNEL && ip[0] == 0x0f && ip[1] == 0xa2) {
        uint32_t r[4];
        emulate((uint32_t) uc->uc_mcontext.gregs[REG_RAX], (uint32_t) uc->uc_mcontext.gregs[REG_RCX], r);
        uc->uc_mcontext.gregs[REG_RAX] = r[0];
        uc->uc_mcontext.gregs[REG_RBX] = r[1];
        uc->uc_mcontext.gregs[REG_RCX] = r[2];
        uc->uc_mcontext.gregs[REG_RDX] = r[3];
        uc->uc_mcontext.gregs[REG_RIP] += 2;
        return;
    }
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(sig, si, context);
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
    } else {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

__attribute__((constructor)) static void start(void) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        return;
    }
    exe[n] = 0;
    const char *name = strrchr(exe, '/');
    if (strcmp(name ? name + 1 : exe, "java") != 0) {
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previous);
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
}
