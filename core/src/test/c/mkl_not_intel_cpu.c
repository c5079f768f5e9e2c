/*
 * The opposite of core/src/main/c/mkl_intel_cpu.c, for tests only: tells Intel's math library (MKL) that the processor
 * is not Intel's, so that on an Intel machine it takes the kernels it takes on an AMD one (on an AMD machine it changes
 * nothing). CrossCpuReproducibilityTest runs the pinned kernels under both answers: the same bits whichever vendor's
 * path the library takes.
 */
int mkl_serv_intel_cpu_true(void) {
    return 0;
}
