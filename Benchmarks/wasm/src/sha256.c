/* sha256: FIPS 180-4 SHA-256 over an 8 MB buffer, hashed in several chunk
 * sizes (one-shot, 64-byte updates, odd-sized updates) and then hash
 * chaining. Stresses i32 rotates, shifts, adds and big-endian word loads. The
 * implementation is checked at start-up against the FIPS "abc" vector; a
 * mismatch makes the checksum 0. */
#include "bench.h"

typedef struct { u32 h[8]; u8 buf[64]; u32 buflen; u64 total; } sha256_ctx;

static const u32 K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline u32 rotr(u32 x, u32 n) { return (x >> n) | (x << (32 - n)); }

static NOINLINE void compress(u32 *h, const u8 *p) {
    u32 w[64];
    for (i32 i = 0; i < 16; i++)
        w[i] = (u32)p[4 * i] << 24 | (u32)p[4 * i + 1] << 16 | (u32)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (i32 i = 16; i < 64; i++) {
        u32 s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3);
        u32 s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    u32 a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (i32 i = 0; i < 64; i++) {
        u32 S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        u32 ch = (e & f) ^ (~e & g);
        u32 t1 = hh + S1 + ch + K[i] + w[i];
        u32 S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        u32 maj = (a & b) ^ (a & c) ^ (b & c);
        u32 t2 = S0 + maj;
        hh = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d; h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

static void sha_init(sha256_ctx *c) {
    static const u32 iv[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                              0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (i32 i = 0; i < 8; i++) c->h[i] = iv[i];
    c->buflen = 0;
    c->total = 0;
}

static NOINLINE void sha_update(sha256_ctx *c, const u8 *p, u32 n) {
    c->total += n;
    if (c->buflen) {
        while (n && c->buflen < 64) { c->buf[c->buflen++] = *p++; n--; }
        if (c->buflen == 64) { compress(c->h, c->buf); c->buflen = 0; }
    }
    while (n >= 64) { compress(c->h, p); p += 64; n -= 64; }
    while (n) { c->buf[c->buflen++] = *p++; n--; }
}

static NOINLINE void sha_final(sha256_ctx *c, u8 out[32]) {
    u64 bits = c->total * 8;
    u8 pad = 0x80;
    sha_update(c, &pad, 1);
    u8 zero = 0;
    while (c->buflen != 56) sha_update(c, &zero, 1);
    u8 len[8];
    for (i32 i = 0; i < 8; i++) len[i] = (u8)(bits >> (56 - 8 * i));
    sha_update(c, len, 8);
    for (i32 i = 0; i < 8; i++) {
        out[4 * i] = (u8)(c->h[i] >> 24); out[4 * i + 1] = (u8)(c->h[i] >> 16);
        out[4 * i + 2] = (u8)(c->h[i] >> 8); out[4 * i + 3] = (u8)c->h[i];
    }
}

static void sha256(const u8 *p, u32 n, u8 out[32]) {
    sha256_ctx c;
    sha_init(&c);
    sha_update(&c, p, n);
    sha_final(&c, out);
}

#define BUF (4u << 20)
static u8 data[BUF];
static volatile u32 passes_v = 1;

EXPORT i64 run(void) {
    static const u8 abc_digest[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
        0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
    u8 d[32];
    sha256((const u8 *)"abc", 3, d);
    if (memcmp(d, abc_digest, 32) != 0) return 0;

    rng_t r;
    rng_seed(&r, 256);
    for (u32 i = 0; i < BUF; i += 8) {
        u64 v = rng_next(&r);
        for (u32 k = 0; k < 8; k++) data[i + k] = (u8)(v >> (8 * k));
    }
    u64 h = 0;
    for (u32 pass = 0; pass < passes_v; pass++) {
        sha256(data, BUF - pass, d);
        for (i32 i = 0; i < 32; i += 8) h = mix64(h, *(u64 *)(d + i));
        sha256_ctx c;
        sha_init(&c);
        for (u32 off = 0, step = 1; off < BUF / 2; off += step, step = step * 3 % 1021 + 1) {
            u32 n = off + step <= BUF / 2 ? step : BUF / 2 - off;
            sha_update(&c, data + off, n);
        }
        sha_final(&c, d);
        for (i32 i = 0; i < 32; i += 8) h = mix64(h, *(u64 *)(d + i));
        data[pass * 977] ^= d[0];
    }
    /* hash chaining: many tiny messages */
    for (u32 i = 0; i < 20000; i++) sha256(d, 32, d);
    for (i32 i = 0; i < 32; i += 8) h = mix64(h, *(u64 *)(d + i));
    return (i64)h;
}
