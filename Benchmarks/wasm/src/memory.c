/* memory: memory-bound loops over ~12 MB. Stresses loads/stores with address
 * arithmetic and bounds checks: a blocked matrix transpose (strided access),
 * a random-permutation pointer chase (cache-missing dependent loads) and a
 * gather/scatter histogram over random indices. */
#include "bench.h"

#define N 1024                      /* N x N u32 matrices: 4 MB each */
#define CHASE (1u << 20)            /* 1M-entry permutation: 4 MB */

static u32 a[N * N];
static u32 b[N * N];
static u32 next_idx[CHASE];
static volatile u32 rounds = 10;

static NOINLINE void transpose(u32 *dst, const u32 *src) {
    for (u32 bi = 0; bi < N; bi += 16)
        for (u32 bj = 0; bj < N; bj += 16)
            for (u32 i = bi; i < bi + 16; i++)
                for (u32 j = bj; j < bj + 16; j++)
                    dst[j * N + i] = src[i * N + j] + i;
}

/* Sattolo's algorithm builds a single cycle, so the chase visits every slot. */
static NOINLINE void build_cycle(rng_t *r) {
    for (u32 i = 0; i < CHASE; i++) next_idx[i] = i;
    for (u32 i = CHASE - 1; i > 0; i--) {
        u32 j = rng_below(r, i);
        u32 t = next_idx[i]; next_idx[i] = next_idx[j]; next_idx[j] = t;
    }
}

static NOINLINE u32 chase(u32 steps) {
    u32 p = 0, acc = 0;
    for (u32 s = 0; s < steps; s++) {
        p = next_idx[p];
        acc += p ^ s;
    }
    return acc;
}

static NOINLINE u32 scatter(rng_t *r, u32 count) {
    u32 *hist = b;                  /* reuse b as a 1M-bucket histogram */
    for (u32 i = 0; i < CHASE; i++) hist[i] = 0;
    for (u32 i = 0; i < count; i++) {
        u32 k = rng_u32(r) & (CHASE - 1);
        hist[k] += 1;
        hist[(k * 7) & (CHASE - 1)] ^= a[k];
    }
    u32 h = 2166136261u;
    for (u32 i = 0; i < CHASE; i += 3) h = mix32(h, hist[i]);
    return h;
}

EXPORT i32 run(void) {
    rng_t r;
    rng_seed(&r, 42);
    for (u32 i = 0; i < N * N; i++) a[i] = rng_u32(&r);
    u32 h = 0;
    for (u32 k = 0; k < rounds; k++) {
        transpose(b, a);
        transpose(a, b);
        h = mix32(h, a[k * 12345 % (N * N)]);
    }
    build_cycle(&r);
    h = mix32(h, chase(CHASE * 6));
    h = mix32(h, scatter(&r, 1u << 22));
    return (i32)h;
}
