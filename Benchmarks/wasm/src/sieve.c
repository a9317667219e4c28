/* sieve: byte-array sieve of Eratosthenes over 16 MB plus a bit-packed
 * segmented sieve. Stresses sequential and strided byte stores/loads. */
#include "bench.h"

#define LIMIT (16u << 20)
static u8 flags[LIMIT];
static u32 bits[LIMIT / 32];
static volatile u32 limit_v = LIMIT;

static NOINLINE u32 byte_sieve(u32 n) {
    for (u32 i = 0; i < n; i++) flags[i] = 1;
    flags[0] = flags[1] = 0;
    for (u32 i = 2; i * i < n; i++)
        if (flags[i])
            for (u32 j = i * i; j < n; j += i) flags[j] = 0;
    u32 count = 0, h = 0;
    for (u32 i = 0; i < n; i++) {
        count += flags[i];
        if (flags[i]) h = h * 31 + i;
    }
    return count ^ (h << 1);
}

/* Odd-only bit sieve: bit k stands for 2k+1. */
static NOINLINE u32 bit_sieve(u32 n) {
    u32 words = (n / 2 + 31) / 32;
    for (u32 i = 0; i < words; i++) bits[i] = 0;
    for (u32 k = 1; (2 * k + 1) * (2 * k + 1) < n; k++) {
        if (bits[k >> 5] & (1u << (k & 31))) continue;
        u32 p = 2 * k + 1;
        for (u32 m = (p * p) / 2; m < n / 2; m += p) bits[m >> 5] |= 1u << (m & 31);
    }
    u32 count = 1; /* the prime 2 */
    for (u32 k = 1; k < n / 2; k++)
        if (!(bits[k >> 5] & (1u << (k & 31)))) count++;
    return count;
}

EXPORT i32 run(void) {
    u32 n = limit_v;
    u32 a = byte_sieve(n);
    u32 b = bit_sieve(n);
    return (i32)(a * 2654435761u + b);
}
