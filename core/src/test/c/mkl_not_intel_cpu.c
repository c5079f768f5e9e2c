/*
 * The opposite of core/src/main/c/mkl_intel_cpu.c, for tests only: tells Intel's math library (MKL) that the processor
 * is an AMD Zen, so that on an Intel machine it takes the kernels it takes on an AMD one. CrossCpuReproducibilityTest
 * runs the pinned kernels under both answers: the same bits whichever vendor's path the library takes.
 *
 * Two checks decide MKL's path: mkl_serv_intel_cpu_true (Intel's kernels or not) and mkl_serv_cpuiszen (its Zen
 * kernels). The library's own mkl_serv_cpuiszen (disassembled from the engine's libtorch_cpu.so) answers "Zen" only
 * when its conditional-numerical-reproducibility branch is 1 or 2 (off or AUTO) and the processor is AMD's; this
 * answers the same for every branch, as if the processor were AMD's, so MKL_CBWR=COMPATIBLE still turns the Zen
 * kernels off as it does on a real AMD processor.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int mkl_serv_intel_cpu_true(void) {
    return 0;
}

int mkl_serv_cpuiszen(void) {
    /* the engine's libtorch_cpu.so is loaded (RTLD_LOCAL) by the time MKL asks; find its branch query there */
    void *torch = dlopen("libtorch_cpu.so", RTLD_NOLOAD | RTLD_LAZY);
    int (*branch)(int) = torch ? (int (*)(int)) dlsym(torch, "mkl_serv_cbwr_get") : NULL;
    if (branch == NULL) {
        fprintf(stderr, "mkl_not_intel_cpu: mkl_serv_cbwr_get not found in libtorch_cpu.so\n");
        abort();
    }
    int b = branch(1);
    return b == 1 || b == 2;
}
