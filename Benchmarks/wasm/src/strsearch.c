/* strsearch: substring search over 2 MB of generated text with three
 * algorithms (naive, Boyer-Moore-Horspool, KMP) plus a word-frequency count
 * and a Levenshtein edit-distance matrix. Stresses byte loads, tight
 * compare loops, table lookups and 2-D dynamic programming. */
#include "bench.h"

#define TEXT (3u << 19)
static u8 text[TEXT];
static volatile u32 reps_v = 1;

static NOINLINE u32 naive_count(const u8 *t, u32 n, const u8 *p, u32 m) {
    u32 c = 0;
    for (u32 i = 0; i + m <= n; i++) {
        u32 j = 0;
        while (j < m && t[i + j] == p[j]) j++;
        if (j == m) c++;
    }
    return c;
}

static NOINLINE u32 horspool_count(const u8 *t, u32 n, const u8 *p, u32 m) {
    u32 shift[256];
    for (u32 i = 0; i < 256; i++) shift[i] = m;
    for (u32 i = 0; i + 1 < m; i++) shift[p[i]] = m - 1 - i;
    u32 c = 0, i = 0;
    while (i + m <= n) {
        u8 last = t[i + m - 1];
        if (last == p[m - 1]) {
            u32 j = 0;
            while (j < m - 1 && t[i + j] == p[j]) j++;
            if (j == m - 1) c++;
        }
        i += shift[last];
    }
    return c;
}

static NOINLINE u32 kmp_count(const u8 *t, u32 n, const u8 *p, u32 m) {
    i32 fail[64];
    fail[0] = -1;
    for (u32 i = 1; i < m; i++) {
        i32 k = fail[i - 1];
        while (k >= 0 && p[k + 1] != p[i]) k = fail[k];
        fail[i] = p[k + 1] == p[i] ? k + 1 : -1;
    }
    u32 c = 0;
    i32 q = -1;
    for (u32 i = 0; i < n; i++) {
        while (q >= 0 && p[q + 1] != t[i]) q = fail[q];
        if (p[q + 1] == t[i]) q++;
        if (q == (i32)m - 1) { c++; q = fail[q]; }
    }
    return c;
}

static NOINLINE u32 word_stats(const u8 *t, u32 n) {
    static u32 freq[4096];
    for (u32 i = 0; i < 4096; i++) freq[i] = 0;
    u32 h = 0, len = 0, words = 0;
    for (u32 i = 0; i < n; i++) {
        u8 ch = t[i];
        if (ch >= 'a' && ch <= 'z') { h = h * 31 + ch; len++; }
        else if (len) { freq[h & 4095]++; words++; h = 0; len = 0; }
    }
    u32 best = 0;
    for (u32 i = 0; i < 4096; i++) if (freq[i] > freq[best]) best = i;
    return words * 4096 + best;
}

static NOINLINE u32 levenshtein(const u8 *a, u32 n, const u8 *b, u32 m) {
    static u32 row[1024];
    for (u32 j = 0; j <= m; j++) row[j] = j;
    for (u32 i = 1; i <= n; i++) {
        u32 diag = row[0];
        row[0] = i;
        for (u32 j = 1; j <= m; j++) {
            u32 up = row[j];
            u32 cost = a[i - 1] == b[j - 1] ? 0 : 1;
            u32 v = diag + cost;
            if (up + 1 < v) v = up + 1;
            if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
            row[j] = v;
            diag = up;
        }
    }
    return row[m];
}

EXPORT i64 run(void) {
    static const char *words[] = {"alpha", "beta", "gamma", "delta", "wasm", "interp", "swift", "table",
                                  "branch", "loop", "memory", "stack", "frame", "value", "abracadabra", "abra"};
    rng_t r;
    rng_seed(&r, 777);
    u32 n = 0;
    while (n < TEXT - 32) {
        const char *w = words[rng_below(&r, 16)];
        while (*w) text[n++] = (u8)*w++;
        text[n++] = rng_below(&r, 8) ? ' ' : '\n';
    }
    static const char *pats[] = {"abracadabra", "memory stack", "loop", "a", "value frame value", "zzz", "abra abra"};
    u64 h = 0;
    for (u32 rep = 0; rep < reps_v; rep++) {
        for (u32 k = 0; k < 7; k++) {
            const u8 *p = (const u8 *)pats[k];
            u32 m = (u32)bench_strlen(pats[k]);
            u32 a = naive_count(text + rep, n - rep, p, m);
            u32 b = horspool_count(text + rep, n - rep, p, m);
            u32 c = kmp_count(text + rep, n - rep, p, m);
            h = mix64(h, ((u64)a << 40) ^ ((u64)b << 20) ^ c ^ (a != b || b != c ? 0xBAD : 0));
        }
        h = mix64(h, word_stats(text, n));
        for (u32 k = 0; k < 6; k++) h = mix64(h, levenshtein(text + k * 1000 + rep, 700, text + k * 5000 + 77, 900));
    }
    return (i64)h;
}
