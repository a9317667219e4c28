/* Shared helpers for the nx interpreter benchmarks.
 *
 * Every workload is a single translation unit compiled with -nostdlib for
 * wasm32, so there is no libc: this header supplies the few routines the
 * compiler may call implicitly (memcpy, memset, memmove, memcmp, strlen) plus a
 * deterministic PRNG and hash mixers used to build inputs and checksums.
 *
 * Each workload exports `run` (no parameters) returning a checksum that
 * depends on all of the work done, so no optimiser can drop it.
 */
#ifndef NX_BENCH_H
#define NX_BENCH_H

typedef unsigned char u8;
typedef signed char i8;
typedef unsigned short u16;
typedef short i16;
typedef unsigned int u32;
typedef int i32;
typedef unsigned long long u64;
typedef long long i64;
typedef unsigned long size_t;

#define EXPORT __attribute__((visibility("default")))
#define NOINLINE __attribute__((noinline))

/* The compiler lowers struct copies and loop idioms to calls of these, so
 * they must exist with external linkage. `no_builtin` stops clang from
 * recognising their own loops as memcpy/memset and recursing. Without
 * -mbulk-memory they are plain byte/word loops; with it, clang emits
 * memory.copy / memory.fill for __builtin_memcpy / __builtin_memset. */
__attribute__((no_builtin)) void *memcpy(void *dst, const void *src, size_t n) {
    u8 *d = (u8 *)dst;
    const u8 *s = (const u8 *)src;
    if ((((size_t)d | (size_t)s) & 3) == 0) {
        while (n >= 4) { *(u32 *)d = *(const u32 *)s; d += 4; s += 4; n -= 4; }
    }
    while (n--) *d++ = *s++;
    return dst;
}

__attribute__((no_builtin)) void *memset(void *dst, int c, size_t n) {
    u8 *d = (u8 *)dst;
    u32 w = (u8)c;
    w |= w << 8;
    w |= w << 16;
    while (n && ((size_t)d & 3)) { *d++ = (u8)c; n--; }
    while (n >= 4) { *(u32 *)d = w; d += 4; n -= 4; }
    while (n--) *d++ = (u8)c;
    return dst;
}

__attribute__((no_builtin)) void *memmove(void *dst, const void *src, size_t n) {
    u8 *d = (u8 *)dst;
    const u8 *s = (const u8 *)src;
    if (d == s || n == 0) return dst;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        d += n; s += n;
        while (n--) *--d = *--s;
    }
    return dst;
}

__attribute__((no_builtin)) int memcmp(const void *a, const void *b, size_t n) {
    const u8 *x = (const u8 *)a, *y = (const u8 *)b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
    return 0;
}

__attribute__((no_builtin)) size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

static inline size_t bench_strlen(const char *s) { return strlen(s); }

/* xorshift64* : deterministic, cheap, good enough for generating inputs. */
typedef struct { u64 s; } rng_t;

static inline void rng_seed(rng_t *r, u64 seed) { r->s = seed ? seed : 0x9E3779B97F4A7C15ull; }

static inline u64 rng_next(rng_t *r) {
    u64 x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static inline u32 rng_u32(rng_t *r) { return (u32)(rng_next(r) >> 32); }

/* Uniform in [0, n) (slight modulo bias is irrelevant here). */
static inline u32 rng_below(rng_t *r, u32 n) { return rng_u32(r) % n; }

/* Uniform double in [0, 1). */
static inline double rng_unit(rng_t *r) { return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0); }

/* Checksum mixers (FNV-1a style over words, and a 64-bit finaliser). */
static inline u32 mix32(u32 h, u32 v) { return (h ^ v) * 16777619u; }

static inline u64 mix64(u64 h, u64 v) {
    h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
    return h;
}

static inline u64 fmix64(u64 k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

/* Bit pattern of a double / float, for folding float results into checksums
 * exactly (all runtimes must produce identical IEEE results). */
static inline u64 f64_bits(double d) { union { double d; u64 u; } v; v.d = d; return v.u; }
static inline u32 f32_bits(float f) { union { float f; u32 u; } v; v.f = f; return v.u; }

#endif
