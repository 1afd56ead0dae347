#ifndef FINEMIX_CBLASKERNELS_H
#define FINEMIX_CBLASKERNELS_H

/// The kernels OpenBLAS should run in place of its own choice `core`, or NULL when its choice
/// stands: only its generic fallback (Prescott) is replaced, only when nobody chose
/// (OPENBLAS_CORETYPE unset), by SkylakeX on a CPU with AVX-512 (F, CD, BW, DQ, VL), else by
/// Haswell on one with AVX2 and FMA.
const char *finemix_blas_choice(const char *core, int avx512, int avx2fma, int chosen_by_user);

/// The kernels finemix chose when the process started, or NULL when OpenBLAS's own choice stands.
const char *finemix_blas_override(void);

/// What OpenBLAS chose before finemix replaced it (NULL when nothing was replaced).
const char *finemix_blas_original(void);

#endif
