/* quicksort: introsort-style quicksort (median-of-three, insertion sort for
 * small ranges, explicit stack) over 1M i32 keys and 256K u64 keys, then a
 * binary-search pass. Stresses compare-and-branch on loaded values, swaps
 * and unpredictable branches. */
#include "bench.h"

#define N32 (1 << 20)
#define N64 (1 << 18)
static i32 v32[N32];
static u64 v64[N64];
static volatile i32 reps_v = 1;

static NOINLINE void insertion_i32(i32 *a, i32 lo, i32 hi) {
    for (i32 i = lo + 1; i <= hi; i++) {
        i32 x = a[i], j = i - 1;
        while (j >= lo && a[j] > x) { a[j + 1] = a[j]; j--; }
        a[j + 1] = x;
    }
}

static NOINLINE void qsort_i32(i32 *a, i32 n) {
    i32 stack[128], sp = 0;
    stack[sp++] = 0; stack[sp++] = n - 1;
    while (sp) {
        i32 hi = stack[--sp], lo = stack[--sp];
        while (hi - lo > 16) {
            i32 mid = lo + (hi - lo) / 2;
            if (a[mid] < a[lo]) { i32 t = a[mid]; a[mid] = a[lo]; a[lo] = t; }
            if (a[hi] < a[lo]) { i32 t = a[hi]; a[hi] = a[lo]; a[lo] = t; }
            if (a[hi] < a[mid]) { i32 t = a[hi]; a[hi] = a[mid]; a[mid] = t; }
            i32 p = a[mid], i = lo, j = hi;
            while (i <= j) {
                while (a[i] < p) i++;
                while (a[j] > p) j--;
                if (i <= j) { i32 t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
            }
            /* recurse (push) on the larger side, loop on the smaller */
            if (j - lo > hi - i) { stack[sp++] = lo; stack[sp++] = j; lo = i; }
            else { stack[sp++] = i; stack[sp++] = hi; hi = j; }
        }
        insertion_i32(a, lo, hi);
    }
}

static NOINLINE void qsort_u64(u64 *a, i32 lo, i32 hi) {
    while (hi - lo > 12) {
        u64 p = a[lo + (hi - lo) / 2];
        i32 i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) { u64 t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { qsort_u64(a, lo, j); lo = i; }
        else { qsort_u64(a, i, hi); hi = j; }
    }
    for (i32 i = lo + 1; i <= hi; i++) {
        u64 x = a[i];
        i32 j = i - 1;
        while (j >= lo && a[j] > x) { a[j + 1] = a[j]; j--; }
        a[j + 1] = x;
    }
}

static NOINLINE i32 lower_bound(const i32 *a, i32 n, i32 key) {
    i32 lo = 0, hi = n;
    while (lo < hi) {
        i32 mid = (lo + hi) >> 1;
        if (a[mid] < key) lo = mid + 1; else hi = mid;
    }
    return lo;
}

EXPORT i64 run(void) {
    rng_t r;
    rng_seed(&r, 31337);
    u64 h = 0;
    for (i32 rep = 0; rep < reps_v; rep++) {
        for (i32 i = 0; i < N32; i++) v32[i] = (i32)rng_u32(&r) >> (rep & 7);
        for (i32 i = 0; i < N64; i++) v64[i] = rng_next(&r) % (1000000 + rep);
        qsort_i32(v32, N32);
        qsort_u64(v64, 0, N64 - 1);
        u32 sorted = 1;
        for (i32 i = 1; i < N32; i++) sorted &= v32[i - 1] <= v32[i];
        for (i32 i = 1; i < N64; i++) sorted &= v64[i - 1] <= v64[i];
        u64 acc = sorted;
        for (i32 q = 0; q < 200000; q++) acc += (u64)lower_bound(v32, N32, (i32)rng_u32(&r));
        h = mix64(h, acc);
        for (i32 i = 0; i < N32; i += 4099) h = mix64(h, (u32)v32[i]);
        for (i32 i = 0; i < N64; i += 1021) h = mix64(h, v64[i]);
    }
    return (i64)h;
}
