/*
 * The engine's PyTorch links Intel's math library (MKL) statically and exports its internal processor check. On AMD
 * processors that check answers "not Intel", and the library then takes its AVX2 kernels even where the processor has
 * AVX-512 (a 2-core AMD EPYC with AVX-512: MiniLM extraction 5,424 tokens/s, 10,652 with this answer; issue "speed on
 * today's CPUs"). Preloaded by ./tracelens only on AMD processors with AVX-512 (TRACELENS_MKL_DISPATCH=0 turns it
 * off, =1 forces it on any processor); the library still checks each instruction set itself, so it never runs an
 * instruction the processor lacks.
 */
int mkl_serv_intel_cpu_true(void) {
    return 1;
}
