/* indirect: call_indirect-heavy code. A generic heap sort / merge sort that
 * calls a comparator through a function pointer, an expression tree evaluated
 * through per-node-kind function pointers (a "vtable" visitor), and a
 * pipeline of small transforms picked from a table at run time. Stresses
 * call_indirect (table lookup + signature check), small-function call
 * overhead and returns. */
#include "bench.h"

typedef struct { i32 key; u32 id; float weight; i32 pad; } rec_t;
typedef i32 (*cmp_fn)(const void *, const void *);

#define NREC 20000
static rec_t recs[NREC];
static rec_t tmp[NREC];

static i32 cmp_key(const void *a, const void *b) {
    const rec_t *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}
static i32 cmp_key_desc(const void *a, const void *b) { return cmp_key(b, a); }
static i32 cmp_id(const void *a, const void *b) {
    const rec_t *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}
static i32 cmp_weight(const void *a, const void *b) {
    const rec_t *x = a, *y = b;
    if (x->weight < y->weight) return -1;
    if (x->weight > y->weight) return 1;
    return cmp_id(a, b);
}
static i32 cmp_mixed(const void *a, const void *b) {
    const rec_t *x = a, *y = b;
    i32 c = ((x->key & 15) > (y->key & 15)) - ((x->key & 15) < (y->key & 15));
    return c ? c : cmp_id(a, b);
}

static cmp_fn comparators[] = {cmp_key, cmp_id, cmp_weight, cmp_mixed, cmp_key_desc};
static volatile u32 selector = 0;

static NOINLINE void swap_rec(rec_t *a, rec_t *b) { rec_t t = *a; *a = *b; *b = t; }

static NOINLINE void heap_sort(rec_t *v, i32 n, cmp_fn cmp) {
    for (i32 start = n / 2 - 1; start >= 0; start--) {
        i32 root = start;
        for (;;) {
            i32 child = 2 * root + 1;
            if (child >= n) break;
            if (child + 1 < n && cmp(&v[child], &v[child + 1]) < 0) child++;
            if (cmp(&v[root], &v[child]) >= 0) break;
            swap_rec(&v[root], &v[child]);
            root = child;
        }
    }
    for (i32 end = n - 1; end > 0; end--) {
        swap_rec(&v[0], &v[end]);
        i32 root = 0;
        for (;;) {
            i32 child = 2 * root + 1;
            if (child >= end) break;
            if (child + 1 < end && cmp(&v[child], &v[child + 1]) < 0) child++;
            if (cmp(&v[root], &v[child]) >= 0) break;
            swap_rec(&v[root], &v[child]);
            root = child;
        }
    }
}

static NOINLINE void merge_sort(rec_t *v, rec_t *t, i32 n, cmp_fn cmp) {
    if (n < 2) return;
    i32 h = n / 2;
    merge_sort(v, t, h, cmp);
    merge_sort(v + h, t, n - h, cmp);
    i32 i = 0, j = h, k = 0;
    while (i < h && j < n) t[k++] = cmp(&v[j], &v[i]) < 0 ? v[j++] : v[i++];
    while (i < h) t[k++] = v[i++];
    while (j < n) t[k++] = v[j++];
    for (i32 q = 0; q < n; q++) v[q] = t[q];
}

/* ---- expression tree with function-pointer dispatch ---- */
typedef struct node node_t;
typedef i64 (*eval_fn)(const node_t *, const i64 *env);
struct node { eval_fn eval; const node_t *l, *r; i64 value; };

#define NNODES 4096
static node_t nodes[NNODES];
static i32 nnodes;

static i64 ev_const(const node_t *n, const i64 *env) { (void)env; return n->value; }
static i64 ev_var(const node_t *n, const i64 *env) { return env[n->value & 7]; }
static i64 ev_add(const node_t *n, const i64 *env) { return n->l->eval(n->l, env) + n->r->eval(n->r, env); }
static i64 ev_sub(const node_t *n, const i64 *env) { return n->l->eval(n->l, env) - n->r->eval(n->r, env); }
static i64 ev_mul(const node_t *n, const i64 *env) { return n->l->eval(n->l, env) * n->r->eval(n->r, env); }
static i64 ev_xor(const node_t *n, const i64 *env) { return n->l->eval(n->l, env) ^ n->r->eval(n->r, env); }
static i64 ev_min(const node_t *n, const i64 *env) {
    i64 a = n->l->eval(n->l, env), b = n->r->eval(n->r, env);
    return a < b ? a : b;
}
static i64 ev_neg(const node_t *n, const i64 *env) { return -n->l->eval(n->l, env); }
static i64 ev_sel(const node_t *n, const i64 *env) {
    return (n->value & 1) ? n->l->eval(n->l, env) : n->r->eval(n->r, env) + 1;
}

static eval_fn binops[] = {ev_add, ev_sub, ev_mul, ev_xor, ev_min, ev_sel};

static const node_t *build(rng_t *r, i32 depth) {
    node_t *n = &nodes[nnodes++];
    if (depth == 0 || nnodes > NNODES - 4) {
        if (rng_below(r, 2)) { n->eval = ev_const; n->value = (i64)rng_below(r, 100) - 50; }
        else { n->eval = ev_var; n->value = rng_below(r, 8); }
        return n;
    }
    u32 k = rng_below(r, 8);
    if (k == 7) { n->eval = ev_neg; n->l = build(r, depth - 1); return n; }
    n->eval = binops[k % 6];
    n->value = rng_u32(r);
    n->l = build(r, depth - 1);
    n->r = build(r, depth - 1);
    return n;
}

/* ---- pipeline of transforms chosen from a table ---- */
typedef u32 (*xf_fn)(u32);
static u32 xf_rotl(u32 x) { return (x << 5) | (x >> 27); }
static u32 xf_mul(u32 x) { return x * 2654435761u; }
static u32 xf_xs(u32 x) { return x ^ (x >> 13); }
static u32 xf_add(u32 x) { return x + 0x9E3779B9u; }
static u32 xf_not(u32 x) { return ~x; }
static u32 xf_sq(u32 x) { return x * x + 1; }
static u32 xf_bswap(u32 x) { return (x >> 24) | ((x >> 8) & 0xFF00) | ((x << 8) & 0xFF0000) | (x << 24); }
static u32 xf_sub(u32 x) { return x - 12345; }
static xf_fn transforms[8] = {xf_rotl, xf_mul, xf_xs, xf_add, xf_not, xf_sq, xf_bswap, xf_sub};

static NOINLINE u32 pipeline(u32 seed, i32 n) {
    u32 x = seed;
    for (i32 i = 0; i < n; i++) x = transforms[(x ^ i) & 7](x);
    return x;
}

static volatile i32 scale_v = 3;

EXPORT i64 run(void) {
    rng_t r;
    rng_seed(&r, 99);
    u64 h = 0;
    i32 scale = scale_v;
    for (i32 round = 0; round < 5 * scale; round++) {
        for (i32 i = 0; i < NREC; i++) {
            recs[i].key = (i32)rng_below(&r, 100000) - 50000;
            recs[i].id = rng_u32(&r);
            recs[i].weight = (float)rng_below(&r, 1000) * 0.5f;
        }
        cmp_fn c = comparators[(selector + round) % 5];
        if (round & 1) merge_sort(recs, tmp, NREC, c);
        else heap_sort(recs, NREC, c);
        for (i32 i = 0; i < NREC; i += 37) h = mix64(h, (u64)recs[i].id ^ (u64)(u32)recs[i].key << 32);
    }
    nnodes = 0;
    const node_t *root = build(&r, 11);
    i64 env[8];
    for (i32 i = 0; i < 300 * scale; i++) {
        for (i32 k = 0; k < 8; k++) env[k] = (i64)i * (k + 1) - 7;
        h = mix64(h, (u64)root->eval(root, env));
    }
    h = mix64(h, pipeline(12345u, 3000000 * scale));
    return (i64)h;
}
