// oneDNN's C API (Debian's libdnnl-dev): its matmul primitive runs BF16 products with FP32
// accumulation on CPUs with AVX512-BF16, chosen at run time, so the binary stays x86-64-v3.
#include <oneapi/dnnl/dnnl.h>
// Debian's oneDNN runs on OpenMP (libgomp); a product is called from one worker of finemix's
// own, so each worker asks for one thread. omp.h is in the compiler's private directory, hence
// the declaration.
void omp_set_num_threads(int);
