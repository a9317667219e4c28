/* matmul: dense matrix multiply in f32 (ikj order) and f64 (blocked), plus
 * an f64 spectral-norm kernel with division. Stresses float loads/stores
 * with index arithmetic. */
#include "bench.h"

#define M 192
static float fa[M * M], fb[M * M], fc[M * M];
static double da[M * M], db[M * M], dc[M * M];
static volatile i32 reps_v = 3;

static NOINLINE void mm_f32(float *c, const float *a, const float *b, i32 n) {
    for (i32 i = 0; i < n * n; i++) c[i] = 0;
    for (i32 i = 0; i < n; i++)
        for (i32 k = 0; k < n; k++) {
            float aik = a[i * n + k];
            for (i32 j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
        }
}

static NOINLINE void mm_f64(double *c, const double *a, const double *b, i32 n) {
    for (i32 i = 0; i < n * n; i++) c[i] = 0;
    for (i32 ii = 0; ii < n; ii += 32)
        for (i32 kk = 0; kk < n; kk += 32)
            for (i32 i = ii; i < ii + 32; i++)
                for (i32 j = 0; j < n; j++) {
                    double s = c[i * n + j];
                    for (i32 k = kk; k < kk + 32; k++) s += a[i * n + k] * b[k * n + j];
                    c[i * n + j] = s;
                }
}

static inline double sn_a(i32 i, i32 j) { return 1.0 / ((i + j) * (i + j + 1) / 2 + i + 1); }

static NOINLINE double spectral_norm(i32 n) {
    static double u[512], v[512], t[512];
    for (i32 i = 0; i < n; i++) u[i] = 1;
    for (i32 it = 0; it < 10; it++) {
        for (i32 i = 0; i < n; i++) { double s = 0; for (i32 j = 0; j < n; j++) s += sn_a(i, j) * u[j]; t[i] = s; }
        for (i32 i = 0; i < n; i++) { double s = 0; for (i32 j = 0; j < n; j++) s += sn_a(j, i) * t[j]; v[i] = s; }
        for (i32 i = 0; i < n; i++) { double s = 0; for (i32 j = 0; j < n; j++) s += sn_a(i, j) * v[j]; t[i] = s; }
        for (i32 i = 0; i < n; i++) { double s = 0; for (i32 j = 0; j < n; j++) s += sn_a(j, i) * t[j]; u[i] = s; }
    }
    double vbv = 0, vv = 0;
    for (i32 i = 0; i < n; i++) { vbv += u[i] * v[i]; vv += v[i] * v[i]; }
    return __builtin_sqrt(vbv / vv);
}

EXPORT i64 run(void) {
    rng_t r;
    rng_seed(&r, 7);
    for (i32 i = 0; i < M * M; i++) {
        fa[i] = (float)rng_unit(&r) - 0.5f;
        fb[i] = (float)rng_unit(&r) - 0.5f;
        da[i] = rng_unit(&r) - 0.5;
        db[i] = rng_unit(&r) - 0.5;
    }
    u64 h = 0;
    for (i32 rep = 0; rep < reps_v; rep++) {
        mm_f32(fc, fa, fb, M);
        mm_f32(fa, fc, fb, M);          /* feed results back in */
        for (i32 i = 0; i < M * M; i++) fa[i] *= 0.25f;
        mm_f64(dc, da, db, M);
        for (i32 i = 0; i < M * M; i += 97) h = mix64(h, f32_bits(fc[i]) ^ f64_bits(dc[i]));
    }
    h = mix64(h, f64_bits(spectral_norm(300)));
    return (i64)h;
}
