/* simd_scalar: the kernels of simd.c written in plain scalar C, built without
 * -msimd128, computing bit-for-bit the same checksum (expected.json holds the
 * same value for both). Runtimes without SIMD (WasmKit 0.1.6, wasm3) run this
 * twin, so the runner can report how nxrun running the SIMD build compares
 * with what a peer can do with the same computation.
 *
 * Each function mirrors the lane structure of its SIMD original where the
 * result depends on it: dot keeps eight float accumulators and reduces them in
 * the same order (float addition is not associative); minmax keeps four lane
 * sums that are xor-ed at the end. The integer kernels are order-independent. */
#include "bench.h"

/* acc[0..3] are simd.c's acc0 lanes, acc[4..7] acc1's. */
static NOINLINE float dot(const float *a, const float *b, i32 n) {
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    for (i32 i = 0; i < n; i += 8)
        for (i32 k = 0; k < 8; k++) acc[k] = acc[k] + a[i + k] * b[i + k];
    float s0 = acc[0] + acc[4], s1 = acc[1] + acc[5], s2 = acc[2] + acc[6], s3 = acc[3] + acc[7];
    /* s + shuffle(s, 2,3,0,1), then + shuffle(.., 1,0,3,2): lane 0 = (s0+s2) + (s1+s3). */
    return (s0 + s2) + (s1 + s3);
}

/* pmax(v, lo) = v < lo ? lo : v; pmin(v, hi) = hi < v ? hi : v. */
static NOINLINE void saxpy(float *y, const float *x, float a, i32 n) {
    for (i32 i = 0; i < n; i++) {
        float v = y[i] + a * x[i];
        v = v < -100.0f ? -100.0f : v;
        y[i] = 100.0f < v ? 100.0f : v;
    }
}

static NOINLINE u64 classify(const u8 *p, i32 n) {
    u64 totals[3] = {0, 0, 0};
    for (i32 i = 0; i < n; i++) {
        u8 v = p[i];
        totals[0] += v >= '0' && v <= '9';
        totals[1] += v >= 'a' && v <= 'z';
        totals[2] += v == ' ';
    }
    return (totals[0] << 42) ^ (totals[1] << 21) ^ totals[2];
}

/* The i16 lanes never wrap (x*alpha + y*(256-alpha) <= 65280) and the
 * saturating add never saturates; the u8 narrowing clamps to 255. */
static NOINLINE void blend(u8 *out, const u8 *a, const u8 *b, i32 n, u16 alpha) {
    u32 wa = alpha, wb = 256 - alpha;
    for (i32 i = 0; i < n; i++) {
        u32 t = (((a[i] * wa + b[i] * wb) & 0xffff) >> 8) + 3;
        out[i] = (u8)(t > 255 ? 255 : t);
    }
}

static NOINLINE u64 minmax(const i32 *v, i32 n) {
    i32 a = 0x7fffffff, b = (i32)0x80000000;
    u32 sum[4] = {0, 0, 0, 0};
    for (i32 i = 0; i < n; i += 4) {
        for (i32 k = 0; k < 4; k++) {
            i32 x = v[i + k];
            if (x < a) a = x;
            if (x > b) b = x;
            sum[k] += (u32)x ^ ((u32)x << 3);
        }
    }
    u32 s = sum[0] ^ sum[1] ^ sum[2] ^ sum[3];
    return ((u64)(u32)a << 32 | (u32)b) ^ ((u64)s << 7);
}

#include "simd_driver.h"
