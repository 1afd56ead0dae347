// OpenBLAS (a DYNAMIC_ARCH build, as Debian's) picks its kernels when it loads, by the CPU's model
// number. A release older than the CPU does not know the model and falls back to its generic
// Prescott kernels: Debian 12's 0.3.21 on Intel's Emerald Rapids (family 6, model 207) multiplies
// at 68 GFLOP/s on two cores where its SkylakeX kernels reach 330 (`finemix bench`, 2026-12-01).
// Nothing in the CPU's instructions is missing; only the table entry is. So once per process,
// before main (a library's constructors run before those of the program that links it), finemix
// asks OpenBLAS to initialise again through its own OPENBLAS_CORETYPE path, with the kernels the
// CPU's instructions allow. The variable stays set, so child processes start on the same kernels.
#include "CBLASKernels.h"
#include <cblas.h>
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

static const char *override_core;
static char original_core[32];

const char *finemix_blas_choice(const char *core, int avx512, int avx2fma, int chosen_by_user) {
    if (chosen_by_user || core == NULL || strcmp(core, "Prescott") != 0) return NULL;
    if (avx512) return "SkylakeX";
    if (avx2fma) return "Haswell";
    return NULL;
}

const char *finemix_blas_override(void) { return override_core; }
const char *finemix_blas_original(void) { return override_core ? original_core : NULL; }

__attribute__((constructor))
static void finemix_blas_kernels(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    int avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
    int avx2fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    const char *core = openblas_get_corename();
    const char *want = finemix_blas_choice(core, avx512, avx2fma, getenv("OPENBLAS_CORETYPE") != NULL);
    if (want == NULL) return;
    // Not in cblas.h: OpenBLAS's dynamic-dispatch entry points, present in every DYNAMIC_ARCH
    // build since GotoBLAS. A build for one CPU has neither, and then its own choice stands.
    void (*quit)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_quit");
    void (*init)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "gotoblas_dynamic_init");
    if (quit == NULL || init == NULL) return;
    strncpy(original_core, core, sizeof original_core - 1);
    setenv("OPENBLAS_CORETYPE", want, 1);
    quit();
    init();
    if (strcmp(openblas_get_corename(), want) == 0) override_core = want;
#endif
}
