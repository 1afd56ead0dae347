// One core's multiply rate on the engine's forward shapes: OpenBLAS sgemm, oneDNN's matmul in FP32,
// and oneDNN's matmul with BF16 inputs and FP32 sums (what `--precision bf16` runs), the BF16 time
// including the rounding of the input to BF16 as the engine does it. Best of 20 calls per shape.
// Build and run (Debian's libopenblas-dev and libdnnl-dev), one command:
//   gcc -O2 -march=x86-64-v3 scripts/gemm-bf16.c -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas -ldnnl -o /tmp/gb && OMP_NUM_THREADS=1 /tmp/gb
#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHECK(x) do { if ((x) != dnnl_success) { fprintf(stderr, "failed: %s\n", #x); exit(1); } } while (0)

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint16_t bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    return (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

// GFLOP/s of oneDNN's matmul C[M,N] += A[M,K]·W[N,K]ᵀ in `type` (A rounded each call for bf16).
static double onednn(dnnl_engine_t eng, dnnl_stream_t st, dnnl_data_type_t type, int M, int N, int K,
                     const float *A, const float *W, float *C, const char **impl) {
    size_t es = type == dnnl_bf16 ? 2 : 4;
    void *a = malloc(es * M * K), *w = malloc(es * N * K);
    for (long i = 0; i < (long)N * K; i++) {
        if (type == dnnl_bf16) ((uint16_t *)w)[i] = bf16(W[i]); else ((float *)w)[i] = W[i];
    }
    dnnl_memory_desc_t da, dw, dc;
    dnnl_dims_t sa = {M, K}, sw = {K, N}, sc = {M, N};
    CHECK(dnnl_memory_desc_init_by_tag(&da, 2, sa, type, dnnl_ab));
    CHECK(dnnl_memory_desc_init_by_tag(&dw, 2, sw, type, dnnl_ba));
    CHECK(dnnl_memory_desc_init_by_tag(&dc, 2, sc, dnnl_f32, dnnl_ab));
    dnnl_matmul_desc_t md;
    CHECK(dnnl_matmul_desc_init(&md, &da, &dw, NULL, &dc));
    dnnl_post_ops_t ops; dnnl_primitive_attr_t attr;
    CHECK(dnnl_post_ops_create(&ops)); CHECK(dnnl_post_ops_append_sum(ops, 1));
    CHECK(dnnl_primitive_attr_create(&attr)); CHECK(dnnl_primitive_attr_set_post_ops(attr, ops));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &md, attr, eng, NULL));
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, impl));
    dnnl_primitive_t p;
    CHECK(dnnl_primitive_create(&p, pd));
    dnnl_memory_t ma, mw, mc;
    CHECK(dnnl_memory_create(&ma, &da, eng, a)); CHECK(dnnl_memory_create(&mw, &dw, eng, w));
    CHECK(dnnl_memory_create(&mc, &dc, eng, C));
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_DST, mc}};
    double best = 1e9;
    for (int r = 0; r < 20; r++) {
        double t = now();
        for (long i = 0; i < (long)M * K; i++) {
            if (type == dnnl_bf16) ((uint16_t *)a)[i] = bf16(A[i]); else ((float *)a)[i] = A[i];
        }
        CHECK(dnnl_primitive_execute(p, st, 3, args));
        CHECK(dnnl_stream_wait(st));
        t = now() - t;
        if (t < best) best = t;
    }
    dnnl_primitive_destroy(p); dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(ma); dnnl_memory_destroy(mw); dnnl_memory_destroy(mc);
    dnnl_post_ops_destroy(ops); dnnl_primitive_attr_destroy(attr);
    free(a); free(w);
    return 2.0 * M * N * K / best / 1e9;
}

int main(void) {
    openblas_set_num_threads(1);
    dnnl_engine_t eng; dnnl_stream_t st;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
    // rows: an evaluation batch (64 × 27) and a 32 × 128 bench batch; QKV, output, FFN in, FFN out
    int shapes[][3] = {{1728, 1152, 384}, {1728, 384, 384}, {1728, 1536, 384}, {1728, 384, 1536},
                       {4096, 1152, 384}, {4096, 1536, 384}, {4096, 384, 1536}};
    printf("%5s %5s %5s  %9s %9s %9s  (GFLOP/s, one core)\n", "M", "N", "K", "openblas", "onednn", "bf16");
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *A = malloc(4L * M * K), *W = malloc(4L * N * K), *C = calloc((size_t)M * N, 4);
        for (long i = 0; i < (long)M * K; i++) A[i] = (float)(i % 7) * 0.1f;
        for (long i = 0; i < (long)N * K; i++) W[i] = (float)(i % 5) * 0.1f;
        double best = 1e9;
        for (int r = 0; r < 20; r++) {
            double t = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1, A, K, W, K, 1, C, N);
            t = now() - t;
            if (t < best) best = t;
        }
        const char *i32, *i16;
        double f32 = onednn(eng, st, dnnl_f32, M, N, K, A, W, C, &i32);
        double b16 = onednn(eng, st, dnnl_bf16, M, N, K, A, W, C, &i16);
        printf("%5d %5d %5d  %9.1f %9.1f %9.1f  %s / %s\n", M, N, K, 2.0 * M * N * K / best / 1e9, f32, b16, i32, i16);
        free(A); free(W); free(C);
    }
    return 0;
}
