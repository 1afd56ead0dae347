// One core's multiply rate on the engine's forward shapes: OpenBLAS sgemm, oneDNN's matmul in FP32,
// and oneDNN's matmul with BF16 inputs and FP32 sums (what `--precision bf16` runs), the BF16 time
// including the rounding of the input to BF16 as the engine does it. Then training's shapes (a part
// of an attacker batch, 16 × 27 = 432 rows, and 1,024): forward, input gradient dY·W and weight
// gradient dYᵀ·X (the transpose read as a stride, as BF16Products does), sgemm against oneDNN
// BF16 on operands already rounded. Best of 20 calls per shape.
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

// oneDNN's matmul C (+)= A·W over these descriptors, with a sum post-op when `add` (sgemm's beta
// 1); the implementation's name copied into impl (when given).
static dnnl_primitive_t matmul(dnnl_engine_t eng, const dnnl_memory_desc_t *a, const dnnl_memory_desc_t *w,
                               const dnnl_memory_desc_t *c, int add, char impl[64]) {
    dnnl_matmul_desc_t md;
    CHECK(dnnl_matmul_desc_init(&md, a, w, NULL, c));
    dnnl_post_ops_t ops; dnnl_primitive_attr_t attr;
    CHECK(dnnl_post_ops_create(&ops)); if (add) CHECK(dnnl_post_ops_append_sum(ops, 1));
    CHECK(dnnl_primitive_attr_create(&attr)); CHECK(dnnl_primitive_attr_set_post_ops(attr, ops));
    dnnl_primitive_desc_t pd; dnnl_primitive_t p;
    CHECK(dnnl_primitive_desc_create(&pd, &md, attr, eng, NULL));
    if (impl) {
        const char *name;
        CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name));
        snprintf(impl, 64, "%s", name);
    }
    CHECK(dnnl_primitive_create(&p, pd));
    dnnl_primitive_desc_destroy(pd); dnnl_post_ops_destroy(ops); dnnl_primitive_attr_destroy(attr);
    return p;
}

// GFLOP/s of oneDNN's matmul C[M,N] += A[M,K]·W[N,K]ᵀ in `type` (A rounded each call for bf16).
static double onednn(dnnl_engine_t eng, dnnl_stream_t st, dnnl_data_type_t type, int M, int N, int K,
                     const float *A, const float *W, float *C, char impl[64]) {
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
    dnnl_primitive_t p = matmul(eng, &da, &dw, &dc, 1, impl);
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
    dnnl_primitive_destroy(p);
    dnnl_memory_destroy(ma); dnnl_memory_destroy(mw); dnnl_memory_destroy(mc);
    free(a); free(w);
    return 2.0 * M * N * K / best / 1e9;
}

// GFLOP/s of oneDNN's BF16 matmul C[M,N] (+)= A[M,K]·B[K,N], A and B at the given strides.
static double bf16mm(dnnl_engine_t eng, dnnl_stream_t st, int M, int N, int K, long a0, long a1, long b0, long b1, int add) {
    uint16_t *a = calloc((size_t)M * K, 2), *b = calloc((size_t)K * N, 2);
    float *c = calloc((size_t)M * N, 4);
    for (long i = 0; i < (long)M * K; i++) a[i] = bf16((float)(i % 7) * 0.1f);
    for (long i = 0; i < (long)K * N; i++) b[i] = bf16((float)(i % 5) * 0.1f);
    dnnl_memory_desc_t da, db, dc;
    dnnl_dims_t ta = {M, K}, tb = {K, N}, tc = {M, N}, sa = {a0, a1}, sb = {b0, b1}, sc = {N, 1};
    CHECK(dnnl_memory_desc_init_by_strides(&da, 2, ta, dnnl_bf16, sa));
    CHECK(dnnl_memory_desc_init_by_strides(&db, 2, tb, dnnl_bf16, sb));
    CHECK(dnnl_memory_desc_init_by_strides(&dc, 2, tc, dnnl_f32, sc));
    dnnl_primitive_t p = matmul(eng, &da, &db, &dc, add, NULL);
    dnnl_memory_t ma, mb, mc;
    CHECK(dnnl_memory_create(&ma, &da, eng, a)); CHECK(dnnl_memory_create(&mb, &db, eng, b)); CHECK(dnnl_memory_create(&mc, &dc, eng, c));
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, ma}, {DNNL_ARG_WEIGHTS, mb}, {DNNL_ARG_DST, mc}};
    double best = 1e9;
    for (int r = 0; r < 20; r++) {
        double t = now();
        CHECK(dnnl_primitive_execute(p, st, 3, args)); CHECK(dnnl_stream_wait(st));
        t = now() - t;
        if (t < best) best = t;
    }
    dnnl_primitive_destroy(p);
    dnnl_memory_destroy(ma); dnnl_memory_destroy(mb); dnnl_memory_destroy(mc);
    free(a); free(b); free(c);
    return 2.0 * M * N * K / best / 1e9;
}

// GFLOP/s of sgemm C[M,N] += op(A)·op(B), row-major.
static double sgemm(int ta, int tb, int M, int N, int K) {
    float *A = calloc((size_t)M * K, 4), *B = calloc((size_t)K * N, 4), *C = calloc((size_t)M * N, 4);
    for (long i = 0; i < (long)M * K; i++) A[i] = (float)(i % 7) * 0.1f;
    for (long i = 0; i < (long)K * N; i++) B[i] = (float)(i % 5) * 0.1f;
    double best = 1e9;
    for (int r = 0; r < 20; r++) {
        double t = now();
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, 1, A, ta ? M : K,
                    B, tb ? K : N, 1, C, N);
        t = now() - t;
        if (t < best) best = t;
    }
    free(A); free(B); free(C);
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
        char i32[64], i16[64];
        double f32 = onednn(eng, st, dnnl_f32, M, N, K, A, W, C, i32);
        double b16 = onednn(eng, st, dnnl_bf16, M, N, K, A, W, C, i16);
        printf("%5d %5d %5d  %9.1f %9.1f %9.1f  %s / %s\n", M, N, K, 2.0 * M * N * K / best / 1e9, f32, b16, i32, i16);
        free(A); free(W); free(C);
    }
    printf("\ntraining: rows, in, out; GFLOP/s sgemm / BF16 (one core)\n");
    int rows[] = {432, 1024}, io[][2] = {{384, 1152}, {384, 384}, {384, 1536}, {1536, 384}};
    for (int r = 0; r < 2; r++) {
        for (int s = 0; s < 4; s++) {
            int R = rows[r], in = io[s][0], out = io[s][1];
            printf("%5d %5d %5d  forward %6.1f / %6.1f  input gradient %6.1f / %6.1f  weight gradient %6.1f / %6.1f\n", R, in, out,
                   sgemm(0, 1, R, out, in), bf16mm(eng, st, R, out, in, in, 1, 1, in, 1),
                   sgemm(0, 0, R, in, out), bf16mm(eng, st, R, in, out, out, 1, in, 1, 0),
                   sgemm(1, 0, out, in, R), bf16mm(eng, st, out, in, R, 1, out, in, 1, 1));
        }
    }
    return 0;
}
