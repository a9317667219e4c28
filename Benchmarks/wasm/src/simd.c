/* simd: 128-bit SIMD kernels written with wasm_simd128.h intrinsics (built
 * with -msimd128): an f32x4 dot product and saxpy, an i8x16 byte-class
 * counter (compare + mask accumulate, i.e. a vectorised histogram of a few
 * classes), an i16x8 saturating image blend, and an i32x4 min/max scan.
 * Stresses v128 loads/stores, lane arithmetic, shuffles and lane extraction. */
#include "bench.h"
#include <wasm_simd128.h>

static NOINLINE float dot(const float *a, const float *b, i32 n) {
    v128_t acc0 = wasm_f32x4_splat(0), acc1 = wasm_f32x4_splat(0);
    for (i32 i = 0; i < n; i += 8) {
        acc0 = wasm_f32x4_add(acc0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
        acc1 = wasm_f32x4_add(acc1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
    }
    v128_t s = wasm_f32x4_add(acc0, acc1);
    s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 2, 3, 0, 1));
    s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
    return wasm_f32x4_extract_lane(s, 0);
}

static NOINLINE void saxpy(float *y, const float *x, float a, i32 n) {
    v128_t va = wasm_f32x4_splat(a), lo = wasm_f32x4_splat(-100.0f), hi = wasm_f32x4_splat(100.0f);
    for (i32 i = 0; i < n; i += 4) {
        v128_t v = wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, wasm_v128_load(x + i)));
        v = wasm_f32x4_pmin(wasm_f32x4_pmax(v, lo), hi);
        wasm_v128_store(y + i, v);
    }
}

/* Counts bytes in four classes (digits, lowercase, space, other) 16 lanes at
 * a time; per-lane i8 counters are flushed to i16 every 255 iterations. */
static NOINLINE u64 classify(const u8 *p, i32 n) {
    u64 totals[3] = {0, 0, 0};
    v128_t c0 = wasm_u8x16_splat('0'), c9 = wasm_u8x16_splat('9');
    v128_t ca = wasm_u8x16_splat('a'), cz = wasm_u8x16_splat('z'), sp = wasm_u8x16_splat(' ');
    for (i32 base = 0; base < n; base += 16 * 255) {
        v128_t d = wasm_i8x16_splat(0), l = wasm_i8x16_splat(0), s = wasm_i8x16_splat(0);
        i32 end = base + 16 * 255 < n ? base + 16 * 255 : n;
        for (i32 i = base; i < end; i += 16) {
            v128_t v = wasm_v128_load(p + i);
            v128_t isd = wasm_v128_and(wasm_u8x16_ge(v, c0), wasm_u8x16_le(v, c9));
            v128_t isl = wasm_v128_and(wasm_u8x16_ge(v, ca), wasm_u8x16_le(v, cz));
            d = wasm_i8x16_sub(d, isd);
            l = wasm_i8x16_sub(l, isl);
            s = wasm_i8x16_sub(s, wasm_i8x16_eq(v, sp));
        }
        v128_t acc[3] = {d, l, s};
        for (i32 k = 0; k < 3; k++) {
            v128_t w = wasm_u16x8_extadd_pairwise_u8x16(acc[k]);
            v128_t q = wasm_u32x4_extadd_pairwise_u16x8(w);
            totals[k] += (u32)(wasm_i32x4_extract_lane(q, 0) + wasm_i32x4_extract_lane(q, 1) +
                               wasm_i32x4_extract_lane(q, 2) + wasm_i32x4_extract_lane(q, 3));
        }
    }
    return (totals[0] << 42) ^ (totals[1] << 21) ^ totals[2];
}

/* out = sat((a*alpha + b*(256-alpha)) >> 8) computed in i16x8 lanes. */
static NOINLINE void blend(u8 *out, const u8 *a, const u8 *b, i32 n, u16 alpha) {
    v128_t va = wasm_i16x8_splat((i16)alpha), vb = wasm_i16x8_splat((i16)(256 - alpha));
    v128_t bias = wasm_i16x8_splat(3);
    for (i32 i = 0; i < n; i += 16) {
        v128_t x = wasm_v128_load(a + i), y = wasm_v128_load(b + i);
        v128_t xl = wasm_u16x8_extend_low_u8x16(x), xh = wasm_u16x8_extend_high_u8x16(x);
        v128_t yl = wasm_u16x8_extend_low_u8x16(y), yh = wasm_u16x8_extend_high_u8x16(y);
        v128_t lo = wasm_u16x8_shr(wasm_i16x8_add(wasm_i16x8_mul(xl, va), wasm_i16x8_mul(yl, vb)), 8);
        v128_t hi = wasm_u16x8_shr(wasm_i16x8_add(wasm_i16x8_mul(xh, va), wasm_i16x8_mul(yh, vb)), 8);
        lo = wasm_i16x8_add_sat(lo, bias);
        hi = wasm_i16x8_add_sat(hi, bias);
        wasm_v128_store(out + i, wasm_u8x16_narrow_i16x8(lo, hi));
    }
}

static NOINLINE u64 minmax(const i32 *v, i32 n) {
    v128_t mn = wasm_i32x4_splat(0x7fffffff), mx = wasm_i32x4_splat((i32)0x80000000), sum = wasm_i32x4_splat(0);
    for (i32 i = 0; i < n; i += 4) {
        v128_t x = wasm_v128_load(v + i);
        mn = wasm_i32x4_min(mn, x);
        mx = wasm_i32x4_max(mx, x);
        sum = wasm_i32x4_add(sum, wasm_v128_xor(x, wasm_i32x4_shl(x, 3)));
    }
    i32 a = wasm_i32x4_extract_lane(mn, 0), b = wasm_i32x4_extract_lane(mx, 0);
    for (i32 k = 1; k < 4; k++) {
        i32 m0 = k == 1 ? wasm_i32x4_extract_lane(mn, 1) : k == 2 ? wasm_i32x4_extract_lane(mn, 2) : wasm_i32x4_extract_lane(mn, 3);
        i32 m1 = k == 1 ? wasm_i32x4_extract_lane(mx, 1) : k == 2 ? wasm_i32x4_extract_lane(mx, 2) : wasm_i32x4_extract_lane(mx, 3);
        if (m0 < a) a = m0;
        if (m1 > b) b = m1;
    }
    u32 s = (u32)(wasm_i32x4_extract_lane(sum, 0) ^ wasm_i32x4_extract_lane(sum, 1) ^
                  wasm_i32x4_extract_lane(sum, 2) ^ wasm_i32x4_extract_lane(sum, 3));
    return ((u64)(u32)a << 32 | (u32)b) ^ ((u64)s << 7);
}

#include "simd_driver.h"
