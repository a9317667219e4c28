/* loops: tight nested integer loops. Stresses local get/set, i32/i64
 * arithmetic, compare-and-branch and loop back-edges; no calls, little memory. */
#include "bench.h"

static volatile u32 loops_n = 2500;

/* Collatz-style inner loop with data-dependent trip counts. */
static NOINLINE u32 collatz_steps(u32 limit) {
    u32 total = 0;
    for (u32 start = 1; start < limit; start++) {
        u64 x = start;
        u32 steps = 0;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x >> 1;
            steps++;
        }
        total += steps;
    }
    return total;
}

/* Nested i32 loops with mixed arithmetic that clang cannot close-form. */
static NOINLINE u32 nested(u32 n) {
    u32 acc = 0x12345678;
    for (u32 i = 0; i < n; i++) {
        for (u32 j = 0; j < n; j++) {
            u32 t = (i * j) ^ (acc >> 3);
            acc = acc * 1103515245u + t;
            if (acc & 0x100) acc ^= j << 7;
            else acc += i;
        }
    }
    return acc;
}

/* Integer division/remainder heavy loop (gcd) with i64. */
static NOINLINE u64 gcd_sum(u32 n) {
    u64 sum = 0;
    for (u32 a = 1; a < n; a++) {
        for (u32 b = a; b < n; b += 7) {
            u64 x = (u64)a * 2654435761u, y = (u64)b * 40503u + 1;
            while (y) { u64 t = x % y; x = y; y = t; }
            sum += x;
        }
    }
    return sum;
}

EXPORT i64 run(void) {
    u32 n = loops_n;
    u64 r = nested(n * 2);
    r = r * 1000003 + collatz_steps(n * 100);
    r = r * 1000003 + gcd_sum(n / 2);
    return (i64)r;
}
