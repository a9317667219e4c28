/* hashtab: an open-addressing (linear probing) hash map from u64 keys to
 * u32 values, plus a chained string-keyed map with an arena, under a mixed
 * insert / lookup / delete workload. Stresses 64-bit multiply-hash, probing
 * loops, byte-wise string compare and pointer chasing. */
#include "bench.h"

#define CAP (1u << 20)
static u64 keys[CAP];
static u32 vals[CAP];
static u8 used[CAP];     /* 0 empty, 1 full, 2 tombstone */
static u32 count;

static inline u32 hash64(u64 k) { return (u32)(fmix64(k) & (CAP - 1)); }

static NOINLINE void ht_put(u64 k, u32 v) {
    u32 i = hash64(k), tomb = 0xFFFFFFFFu;
    for (;;) {
        if (used[i] == 0) break;
        if (used[i] == 2) { if (tomb == 0xFFFFFFFFu) tomb = i; }
        else if (keys[i] == k) { vals[i] = v; return; }
        i = (i + 1) & (CAP - 1);
    }
    if (tomb != 0xFFFFFFFFu) i = tomb;
    used[i] = 1; keys[i] = k; vals[i] = v; count++;
}

static NOINLINE u32 ht_get(u64 k, u32 *found) {
    u32 i = hash64(k);
    while (used[i]) {
        if (used[i] == 1 && keys[i] == k) { *found = 1; return vals[i]; }
        i = (i + 1) & (CAP - 1);
    }
    *found = 0;
    return 0;
}

static NOINLINE void ht_del(u64 k) {
    u32 i = hash64(k);
    while (used[i]) {
        if (used[i] == 1 && keys[i] == k) { used[i] = 2; count--; return; }
        i = (i + 1) & (CAP - 1);
    }
}

/* ---- chained string map ---- */
typedef struct entry { struct entry *next; u32 hash, len, value; char key[]; } entry_t;
#define BUCKETS 65536
#define ARENA (8u << 20)
static entry_t *buckets[BUCKETS];
static u8 arena[ARENA];
static u32 arena_top;

static u32 str_hash(const char *s, u32 n) {
    u32 h = 2166136261u;
    for (u32 i = 0; i < n; i++) h = (h ^ (u8)s[i]) * 16777619u;
    return h;
}

static NOINLINE entry_t *sm_find_or_add(const char *s, u32 n) {
    u32 h = str_hash(s, n);
    entry_t **slot = &buckets[h & (BUCKETS - 1)];
    for (entry_t *e = *slot; e; e = e->next)
        if (e->hash == h && e->len == n && memcmp(e->key, s, n) == 0) return e;
    u32 size = (sizeof(entry_t) + n + 1 + 7) & ~7u;
    if (arena_top + size > ARENA) return 0;
    entry_t *e = (entry_t *)(arena + arena_top);
    arena_top += size;
    e->hash = h; e->len = n; e->value = 0;
    for (u32 i = 0; i < n; i++) e->key[i] = s[i];
    e->key[n] = 0;
    e->next = *slot;
    *slot = e;
    return e;
}

static u32 make_word(rng_t *r, char *buf) {
    static const char syl[][4] = {"ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "an", "el", "or", "ux", "zy", "qu", "ba", "de"};
    u32 n = 0, parts = 1 + rng_below(r, 4);
    for (u32 p = 0; p < parts; p++) {
        const char *s = syl[rng_below(r, 16)];
        buf[n++] = s[0];
        buf[n++] = s[1];
    }
    if (rng_below(r, 4) == 0) buf[n++] = (char)('0' + rng_below(r, 10));
    return n;
}

static volatile u32 ops_v = 1500000;

EXPORT i64 run(void) {
    rng_t r;
    rng_seed(&r, 4242);
    u64 h = 0;
    u32 ops = ops_v;
    for (u32 i = 0; i < ops; i++) {
        u64 k = rng_next(&r) % (ops / 2 + 1);
        u32 op = (u32)(k * 7 + i) % 10;
        if (op < 5) ht_put(k, i);
        else if (op < 9) { u32 f; h += ht_get(k ^ (i & 1), &f) + f; }
        else ht_del(k);
    }
    h = mix64(h, count);
    char word[16];
    u32 distinct = 0;
    for (u32 i = 0; i < ops / 3; i++) {
        u32 n = make_word(&r, word);
        entry_t *e = sm_find_or_add(word, n);
        if (!e) break;
        if (e->value == 0) distinct++;
        e->value += i;
        h += e->value;
    }
    return (i64)mix64(h, distinct);
}
