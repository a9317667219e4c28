/* fib: recursive calls. Stresses call/return, argument passing and the
 * interpreter's frame setup; almost no memory traffic. */
#include "bench.h"

static volatile i32 fib_n = 33;

static NOINLINE i32 fib(i32 n) {
    if (n < 2) return n;
    return fib(n - 1) + fib(n - 2);
}

/* A second shape: two mutually recursive functions with an i64 accumulator
 * (Hofstadter female/male sequences), so calls carry 64-bit values too. */
static NOINLINE i64 hof_m(i32 n);
static NOINLINE i64 hof_f(i32 n) { return n == 0 ? 1 : n - hof_m((i32)hof_f(n - 1)); }
static NOINLINE i64 hof_m(i32 n) { return n == 0 ? 0 : n - hof_f((i32)hof_m(n - 1)); }

EXPORT i64 run(void) {
    i32 n = fib_n;
    i64 acc = 0;
    acc += fib(n);
    acc = acc * 31 + fib(n - 1);
    for (i32 i = 0; i < 4; i++) acc = acc * 7 + hof_f(n * 3 + i) + hof_m(n * 3 - i);
    return acc;
}
