// The sgemm rate OpenBLAS reaches on the engine's MiniLM shapes, beside the large square multiply
// `finemix bench` compares with: best of 20 calls per shape, operands warm in cache.
// Build and run (Debian's libopenblas-dev), one command:
//   gcc -O2 scripts/gemm-shapes.c -I/usr/include/x86_64-linux-gnu/openblas-pthread -lopenblas -o /tmp/gs && /tmp/gs
// Rows M are batch × tokens (16 × 26 for a Fine-mixing step, 32 × 27 for an attacker step, 64 ×
// 27 for an evaluation batch); QKV, the output projection and the two feed-forward products, in
// the layouts finemix calls: forward A·Wᵀ, weight gradient dYᵀ·X, input gradient dY·W.
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static float *A, *B, *C;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// GFLOP/s of C[M,N] += op(A)·op(B), inner size K.
static double rate(int transA, int transB, int M, int N, int K, int reps) {
    double best = 1e9;
    for (int r = 0; r < reps; r++) {
        double t = now();
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    M, N, K, 1, A, transA ? M : K, B, transB ? K : N, 1, C, N);
        t = now() - t;
        if (t < best) best = t;
    }
    return 2.0 * M * N * K / best / 1e9;
}

int main(void) {
    const long n = 2048L * 2048;
    A = malloc(4 * n); B = malloc(4 * n); C = malloc(4 * n);
    for (long i = 0; i < n; i++) { A[i] = (i % 7) * 0.1f; B[i] = (i % 5) * 0.1f; C[i] = 0; }
    printf("square 1024: %.1f GFLOP/s\nsquare 2048: %.1f GFLOP/s\n", rate(0, 1, 1024, 1024, 1024, 5), rate(0, 1, 2048, 2048, 2048, 3));
    const int rows[] = {416, 864, 1728};
    const int H = 384, FF = 1536;
    for (int i = 0; i < 3; i++) {
        int M = rows[i];
        printf("M=%d forward qkv %.1f out %.1f up %.1f down %.1f | weight grad qkv %.1f up %.1f down %.1f"
               " | input grad qkv %.1f up %.1f down %.1f\n", M,
               rate(0, 1, M, 3 * H, H, 20), rate(0, 1, M, H, H, 20), rate(0, 1, M, FF, H, 20), rate(0, 1, M, H, FF, 20),
               rate(1, 0, 3 * H, H, M, 20), rate(1, 0, FF, H, M, 20), rate(1, 0, H, FF, M, 20),
               rate(0, 0, M, H, 3 * H, 20), rate(0, 0, M, H, FF, 20), rate(0, 0, M, FF, H, 20));
    }
    return 0;
}
