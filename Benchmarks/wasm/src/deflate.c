/* deflate: a complete DEFLATE (RFC 1951) compressor and decompressor with
 * zlib (RFC 1950) and gzip (RFC 1952) framing, plus an LZ4-style byte codec,
 * run as round trips over ~1 MB of generated mixed input (text, log lines,
 * binary records, incompressible noise, long runs).
 *
 * This is the suite's "larger program": many functions of realistic shapes
 * (hash-chain match finding with lazy evaluation, Huffman tree construction
 * with length limiting, canonical code assignment, run-length coding of code
 * lengths, block type selection, a table-driven Huffman decoder with a
 * canonical slow path, bit-level I/O, checksums). It stresses calls, branchy
 * integer code, byte loads/stores, shifts and small-table lookups.
 *
 * Every round trip is verified byte for byte; a failure folds an error code
 * into the checksum, so a runtime that miscomputes anything returns a
 * different result from its peers.
 */
#include "bench.h"

/* ------------------------------------------------------------------------ */
/* Limits and buffers                                                        */
/* ------------------------------------------------------------------------ */

#define INPUT_MAX (1u << 21)
#define COMP_MAX (INPUT_MAX + INPUT_MAX / 4 + 4096)

#define WSIZE 32768u
#define WMASK (WSIZE - 1)
#define HASH_BITS 15
#define HASH_SIZE (1u << HASH_BITS)
#define MIN_MATCH 3u
#define MAX_MATCH 258u
#define MAX_DIST 32768u
#define TOO_FAR 4096u

#define LITLEN_CODES 288
#define DIST_CODES 30
#define CL_CODES 19
#define MAX_BITS 15
#define MAX_CL_BITS 7
#define END_BLOCK 256

#define BLOCK_SYMBOLS 16384u
#define STORED_MAX 65535u

static u8 input[INPUT_MAX];
static u8 comp[COMP_MAX];
static u8 output[INPUT_MAX + 1024];

/* error codes folded into the checksum */
enum {
    ERR_NONE = 0,
    ERR_OVERFLOW = 1,
    ERR_BAD_BLOCK = 2,
    ERR_BAD_STORED = 3,
    ERR_BAD_CODE = 4,
    ERR_BAD_DIST = 5,
    ERR_TRUNCATED = 6,
    ERR_BAD_HEADER = 7,
    ERR_BAD_CHECKSUM = 8,
    ERR_MISMATCH = 9,
    ERR_OVERSUBSCRIBED = 10,
    ERR_INCOMPLETE = 11,
    ERR_BAD_LENGTHS = 12,
};

/* ------------------------------------------------------------------------ */
/* Checksums                                                                 */
/* ------------------------------------------------------------------------ */

static u32 crc_table[256];

static void crc_init(void) {
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (u32 k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static u32 crc32_update(u32 crc, const u8 *p, u32 n) {
    u32 c = ~crc;
    for (u32 i = 0; i < n; i++) c = crc_table[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return ~c;
}

static u32 adler32_update(u32 adler, const u8 *p, u32 n) {
    u32 a = adler & 0xFFFF, b = adler >> 16;
    while (n) {
        u32 k = n < 5552 ? n : 5552;
        n -= k;
        while (k >= 4) {
            a += p[0]; b += a;
            a += p[1]; b += a;
            a += p[2]; b += a;
            a += p[3]; b += a;
            p += 4;
            k -= 4;
        }
        while (k--) { a += *p++; b += a; }
        a %= 65521;
        b %= 65521;
    }
    return (b << 16) | a;
}

/* ------------------------------------------------------------------------ */
/* Static DEFLATE tables                                                     */
/* ------------------------------------------------------------------------ */

static const u16 len_base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
static const u8 len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
static const u16 dist_base[30] = {1,    2,    3,    4,    5,    7,     9,     13,    17,  25,
                                  33,   49,   65,   97,   129,  193,   257,   385,   513, 769,
                                  1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577};
static const u8 dist_extra[30] = {0, 0, 0, 0, 1, 1, 2, 2,  3,  3,  4,  4,  5,  5,  6,
                                  6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13};
static const u8 cl_order[CL_CODES] = {16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15};

/* length (3..258) -> length symbol index 0..28 ; distance -> dist symbol */
static u8 len_sym[MAX_MATCH + 1];
static u8 dist_sym_lo[512];   /* for dist-1 < 256: index by dist-1; else by 256 + ((dist-1) >> 7) */

static void tables_init(void) {
    for (u32 s = 0; s < 29; s++) {
        u32 lo = len_base[s], hi = s == 28 ? 258 : (u32)len_base[s] + (1u << len_extra[s]) - 1;
        if (s == 27) hi = 257;
        for (u32 l = lo; l <= hi && l <= MAX_MATCH; l++) len_sym[l] = (u8)s;
    }
    for (u32 s = 0; s < 30; s++) {
        u32 lo = dist_base[s], hi = lo + (1u << dist_extra[s]) - 1;
        for (u32 d = lo; d <= hi; d++) {
            u32 dm1 = d - 1;
            if (dm1 < 256) dist_sym_lo[dm1] = (u8)s;
            else dist_sym_lo[256 + (dm1 >> 7)] = (u8)s;
        }
    }
}

static inline u32 dist_symbol(u32 dist) {
    u32 dm1 = dist - 1;
    return dm1 < 256 ? dist_sym_lo[dm1] : dist_sym_lo[256 + (dm1 >> 7)];
}

static inline u32 reverse_bits(u32 code, u32 len) {
    u32 r = 0;
    for (u32 i = 0; i < len; i++) {
        r = (r << 1) | (code & 1);
        code >>= 1;
    }
    return r;
}

/* ------------------------------------------------------------------------ */
/* Bit writer (LSB first, as DEFLATE requires)                               */
/* ------------------------------------------------------------------------ */

typedef struct {
    u8 *out;
    u32 pos;
    u32 cap;
    u64 bitbuf;
    u32 bitcnt;
    u32 overflow;
} bitw_t;

static void bw_init(bitw_t *w, u8 *out, u32 cap) {
    w->out = out;
    w->pos = 0;
    w->cap = cap;
    w->bitbuf = 0;
    w->bitcnt = 0;
    w->overflow = 0;
}

static inline void bw_put(bitw_t *w, u32 bits, u32 n) {
    w->bitbuf |= (u64)bits << w->bitcnt;
    w->bitcnt += n;
    while (w->bitcnt >= 8) {
        if (w->pos < w->cap) w->out[w->pos++] = (u8)w->bitbuf;
        else w->overflow = 1;
        w->bitbuf >>= 8;
        w->bitcnt -= 8;
    }
}

static void bw_align(bitw_t *w) {
    if (w->bitcnt) bw_put(w, 0, 8 - w->bitcnt);
}

static void bw_byte(bitw_t *w, u32 b) {
    if (w->pos < w->cap) w->out[w->pos++] = (u8)b;
    else w->overflow = 1;
}

static void bw_bytes(bitw_t *w, const u8 *p, u32 n) {
    if (w->pos + n > w->cap) {
        w->overflow = 1;
        return;
    }
    memcpy(w->out + w->pos, p, n);
    w->pos += n;
}

/* ------------------------------------------------------------------------ */
/* Huffman code construction                                                 */
/* ------------------------------------------------------------------------ */

typedef struct {
    u16 code[LITLEN_CODES]; /* bit-reversed, ready for LSB-first output */
    u8 len[LITLEN_CODES];
} hcode_t;

/* Sorts (freq, symbol) pairs ascending by freq then symbol: insertion sort
 * is fine for at most 288 entries and keeps the order deterministic. */
static void sort_by_freq(u16 *syms, const u32 *freq, u32 n) {
    for (u32 i = 1; i < n; i++) {
        u16 s = syms[i];
        u32 f = freq[s];
        i32 j = (i32)i - 1;
        while (j >= 0 && (freq[syms[j]] > f || (freq[syms[j]] == f && syms[j] > s))) {
            syms[j + 1] = syms[j];
            j--;
        }
        syms[j + 1] = s;
    }
}

/* Computes code lengths (at most maxbits) for the n symbols of freq, using
 * the two-queue Huffman construction on sorted leaves, then the Kraft-sum
 * repair used by small encoders to enforce the length limit. */
static NOINLINE void build_lengths(const u32 *freq, u32 n, u32 maxbits, u8 *lens) {
    u16 syms[LITLEN_CODES];
    u32 node_freq[2 * LITLEN_CODES];
    u16 parent[2 * LITLEN_CODES];
    u8 depth[2 * LITLEN_CODES];
    u32 cnt = 0;

    for (u32 i = 0; i < n; i++) {
        lens[i] = 0;
        if (freq[i]) syms[cnt++] = (u16)i;
    }
    if (cnt == 0) return;
    if (cnt == 1) {
        lens[syms[0]] = 1;
        lens[syms[0] == 0 ? 1 : 0] = 1;
        return;
    }
    sort_by_freq(syms, freq, cnt);
    for (u32 i = 0; i < cnt; i++) node_freq[i] = freq[syms[i]];

    u32 leaf = 0, inner = cnt, next = cnt;
    while (next < 2 * cnt - 1) {
        u32 pick[2];
        for (u32 k = 0; k < 2; k++) {
            if (leaf < cnt && (inner >= next || node_freq[leaf] <= node_freq[inner])) pick[k] = leaf++;
            else pick[k] = inner++;
        }
        node_freq[next] = node_freq[pick[0]] + node_freq[pick[1]];
        parent[pick[0]] = (u16)next;
        parent[pick[1]] = (u16)next;
        next++;
    }
    u32 root = 2 * cnt - 2;
    depth[root] = 0;
    for (i32 k = (i32)root - 1; k >= 0; k--) {
        u32 d = depth[parent[k]] + 1u;
        depth[k] = (u8)(d > 255 ? 255 : d);
    }

    u32 num[MAX_BITS + 2];
    for (u32 i = 0; i <= MAX_BITS + 1; i++) num[i] = 0;
    for (u32 i = 0; i < cnt; i++) {
        u32 d = depth[i];
        num[d > maxbits ? maxbits : d]++;
    }
    u32 total = 0;
    for (u32 i = 1; i <= maxbits; i++) total += num[i] << (maxbits - i);
    while (total != (1u << maxbits)) {
        num[maxbits]--;
        for (u32 i = maxbits - 1; i > 0; i--) {
            if (num[i]) {
                num[i]--;
                num[i + 1] += 2;
                break;
            }
        }
        total--;
    }
    /* least frequent symbols get the longest codes */
    u32 idx = 0;
    for (u32 bits = maxbits; bits >= 1; bits--) {
        for (u32 k = 0; k < num[bits]; k++) lens[syms[idx++]] = (u8)bits;
    }
}

/* Assigns canonical codes (RFC 1951 3.2.2) to the given lengths. */
static NOINLINE void assign_codes(hcode_t *h, const u8 *lens, u32 n) {
    u32 bl_count[MAX_BITS + 1], next_code[MAX_BITS + 2];
    for (u32 i = 0; i <= MAX_BITS; i++) bl_count[i] = 0;
    for (u32 i = 0; i < n; i++) bl_count[lens[i]]++;
    bl_count[0] = 0;
    u32 code = 0;
    for (u32 bits = 1; bits <= MAX_BITS; bits++) {
        code = (code + bl_count[bits - 1]) << 1;
        next_code[bits] = code;
    }
    for (u32 i = 0; i < n; i++) {
        h->len[i] = lens[i];
        h->code[i] = lens[i] ? (u16)reverse_bits(next_code[lens[i]]++, lens[i]) : 0;
    }
    for (u32 i = n; i < LITLEN_CODES; i++) {
        h->len[i] = 0;
        h->code[i] = 0;
    }
}

static hcode_t fixed_litlen, fixed_dist;

static void fixed_codes_init(void) {
    u8 lens[LITLEN_CODES];
    for (u32 i = 0; i < 144; i++) lens[i] = 8;
    for (u32 i = 144; i < 256; i++) lens[i] = 9;
    for (u32 i = 256; i < 280; i++) lens[i] = 7;
    for (u32 i = 280; i < 288; i++) lens[i] = 8;
    assign_codes(&fixed_litlen, lens, LITLEN_CODES);
    for (u32 i = 0; i < DIST_CODES; i++) lens[i] = 5;
    assign_codes(&fixed_dist, lens, DIST_CODES);
}

/* ------------------------------------------------------------------------ */
/* LZ77 symbol buffer                                                        */
/* ------------------------------------------------------------------------ */

typedef struct {
    u16 litlen[BLOCK_SYMBOLS]; /* literal byte, or match length */
    u16 dist[BLOCK_SYMBOLS];   /* 0 for a literal */
    u32 count;
    u32 block_start;           /* input offset of the block's first byte */
    u32 freq_litlen[LITLEN_CODES];
    u32 freq_dist[DIST_CODES];
} symbuf_t;

static symbuf_t symbuf;

static void symbuf_reset(symbuf_t *s, u32 start) {
    s->count = 0;
    s->block_start = start;
    for (u32 i = 0; i < LITLEN_CODES; i++) s->freq_litlen[i] = 0;
    for (u32 i = 0; i < DIST_CODES; i++) s->freq_dist[i] = 0;
}

static inline void sym_literal(symbuf_t *s, u32 byte) {
    s->litlen[s->count] = (u16)byte;
    s->dist[s->count] = 0;
    s->count++;
    s->freq_litlen[byte]++;
}

static inline void sym_match(symbuf_t *s, u32 len, u32 dist) {
    s->litlen[s->count] = (u16)len;
    s->dist[s->count] = (u16)dist;
    s->count++;
    s->freq_litlen[257 + len_sym[len]]++;
    s->freq_dist[dist_symbol(dist)]++;
}

/* ------------------------------------------------------------------------ */
/* Block writing                                                             */
/* ------------------------------------------------------------------------ */

typedef struct {
    u8 lens[LITLEN_CODES + DIST_CODES];
    u8 rle_sym[LITLEN_CODES + DIST_CODES];
    u8 rle_extra[LITLEN_CODES + DIST_CODES];
    u32 rle_count;
    u32 hlit, hdist, hclen;
    u8 cl_lens[CL_CODES];
    hcode_t cl_code;
    hcode_t litlen;
    hcode_t dist;
} dyn_header_t;

static dyn_header_t dyn;

/* Run-length codes the concatenated code lengths with symbols 16/17/18. */
static NOINLINE void rle_lengths(dyn_header_t *d, u32 total, u32 *cl_freq) {
    d->rle_count = 0;
    for (u32 i = 0; i < CL_CODES; i++) cl_freq[i] = 0;
    u32 i = 0;
    while (i < total) {
        u32 v = d->lens[i], run = 1;
        while (i + run < total && d->lens[i + run] == v) run++;
        if (v == 0 && run >= 3) {
            u32 r = run;
            while (r >= 3) {
                if (r >= 11) {
                    u32 k = r > 138 ? 138 : r;
                    d->rle_sym[d->rle_count] = 18;
                    d->rle_extra[d->rle_count++] = (u8)(k - 11);
                    cl_freq[18]++;
                    r -= k;
                } else {
                    u32 k = r > 10 ? 10 : r;
                    d->rle_sym[d->rle_count] = 17;
                    d->rle_extra[d->rle_count++] = (u8)(k - 3);
                    cl_freq[17]++;
                    r -= k;
                }
            }
            while (r--) {
                d->rle_sym[d->rle_count] = 0;
                d->rle_extra[d->rle_count++] = 0;
                cl_freq[0]++;
            }
        } else if (v != 0 && run >= 4) {
            d->rle_sym[d->rle_count] = (u8)v;
            d->rle_extra[d->rle_count++] = 0;
            cl_freq[v]++;
            u32 r = run - 1;
            while (r >= 3) {
                u32 k = r > 6 ? 6 : r;
                d->rle_sym[d->rle_count] = 16;
                d->rle_extra[d->rle_count++] = (u8)(k - 3);
                cl_freq[16]++;
                r -= k;
            }
            while (r--) {
                d->rle_sym[d->rle_count] = (u8)v;
                d->rle_extra[d->rle_count++] = 0;
                cl_freq[v]++;
            }
        } else {
            for (u32 k = 0; k < run; k++) {
                d->rle_sym[d->rle_count] = (u8)v;
                d->rle_extra[d->rle_count++] = 0;
                cl_freq[v]++;
            }
        }
        i += run;
    }
}

/* Builds the dynamic codes and header for the buffered block and returns
 * the total bit cost of header plus data. */
static NOINLINE u32 plan_dynamic(dyn_header_t *d, const symbuf_t *s) {
    u32 freq_ll[LITLEN_CODES];
    for (u32 i = 0; i < LITLEN_CODES; i++) freq_ll[i] = s->freq_litlen[i];
    freq_ll[END_BLOCK] = 1;
    u8 ll_lens[LITLEN_CODES], d_lens[DIST_CODES];
    build_lengths(freq_ll, 286, MAX_BITS, ll_lens);
    ll_lens[286] = ll_lens[287] = 0;
    build_lengths(s->freq_dist, DIST_CODES, MAX_BITS, d_lens);
    assign_codes(&d->litlen, ll_lens, LITLEN_CODES);
    assign_codes(&d->dist, d_lens, DIST_CODES);

    d->hlit = 286;
    while (d->hlit > 257 && ll_lens[d->hlit - 1] == 0) d->hlit--;
    d->hdist = 30;
    while (d->hdist > 1 && d_lens[d->hdist - 1] == 0) d->hdist--;
    for (u32 i = 0; i < d->hlit; i++) d->lens[i] = ll_lens[i];
    for (u32 i = 0; i < d->hdist; i++) d->lens[d->hlit + i] = d_lens[i];

    u32 cl_freq[CL_CODES];
    rle_lengths(d, d->hlit + d->hdist, cl_freq);
    build_lengths(cl_freq, CL_CODES, MAX_CL_BITS, d->cl_lens);
    assign_codes(&d->cl_code, d->cl_lens, CL_CODES);
    d->hclen = CL_CODES;
    while (d->hclen > 4 && d->cl_lens[cl_order[d->hclen - 1]] == 0) d->hclen--;

    u32 bits = 5 + 5 + 4 + 3 * d->hclen;
    for (u32 i = 0; i < d->rle_count; i++) {
        u32 sym = d->rle_sym[i];
        bits += d->cl_lens[sym];
        if (sym == 16) bits += 2;
        else if (sym == 17) bits += 3;
        else if (sym == 18) bits += 7;
    }
    for (u32 i = 0; i < 286; i++) bits += freq_ll[i] * ll_lens[i];
    for (u32 i = 0; i < 29; i++) bits += s->freq_litlen[257 + i] * len_extra[i];
    for (u32 i = 0; i < DIST_CODES; i++) bits += s->freq_dist[i] * ((u32)d_lens[i] + dist_extra[i]);
    return bits;
}

static u32 fixed_cost(const symbuf_t *s) {
    u32 bits = fixed_litlen.len[END_BLOCK];
    for (u32 i = 0; i < 286; i++) bits += s->freq_litlen[i] * fixed_litlen.len[i];
    for (u32 i = 0; i < 29; i++) bits += s->freq_litlen[257 + i] * len_extra[i];
    for (u32 i = 0; i < DIST_CODES; i++) bits += s->freq_dist[i] * (5u + dist_extra[i]);
    return bits;
}

static u32 stored_cost(u32 len) {
    u32 chunks = len / STORED_MAX + 1;
    return chunks * (3 + 7 + 32) + len * 8;
}

static NOINLINE void write_symbols(bitw_t *w, const symbuf_t *s, const hcode_t *ll, const hcode_t *dc) {
    for (u32 i = 0; i < s->count; i++) {
        u32 v = s->litlen[i], dist = s->dist[i];
        if (dist == 0) {
            bw_put(w, ll->code[v], ll->len[v]);
        } else {
            u32 ls = len_sym[v];
            bw_put(w, ll->code[257 + ls], ll->len[257 + ls]);
            if (len_extra[ls]) bw_put(w, v - len_base[ls], len_extra[ls]);
            u32 ds = dist_symbol(dist);
            bw_put(w, dc->code[ds], dc->len[ds]);
            if (dist_extra[ds]) bw_put(w, dist - dist_base[ds], dist_extra[ds]);
        }
    }
    bw_put(w, ll->code[END_BLOCK], ll->len[END_BLOCK]);
}

static NOINLINE void write_dynamic_header(bitw_t *w, const dyn_header_t *d) {
    bw_put(w, d->hlit - 257, 5);
    bw_put(w, d->hdist - 1, 5);
    bw_put(w, d->hclen - 4, 4);
    for (u32 i = 0; i < d->hclen; i++) bw_put(w, d->cl_lens[cl_order[i]], 3);
    for (u32 i = 0; i < d->rle_count; i++) {
        u32 sym = d->rle_sym[i];
        bw_put(w, d->cl_code.code[sym], d->cl_code.len[sym]);
        if (sym == 16) bw_put(w, d->rle_extra[i], 2);
        else if (sym == 17) bw_put(w, d->rle_extra[i], 3);
        else if (sym == 18) bw_put(w, d->rle_extra[i], 7);
    }
}

static NOINLINE void write_stored(bitw_t *w, const u8 *src, u32 len, u32 final) {
    do {
        u32 n = len > STORED_MAX ? STORED_MAX : len;
        len -= n;
        bw_put(w, (final && len == 0) ? 1 : 0, 1);
        bw_put(w, 0, 2);
        bw_align(w);
        bw_byte(w, n & 0xFF);
        bw_byte(w, n >> 8);
        bw_byte(w, ~n & 0xFF);
        bw_byte(w, (~n >> 8) & 0xFF);
        bw_bytes(w, src, n);
        src += n;
    } while (len);
}

typedef struct {
    u32 stored, fixed, dynamic;
} block_stats_t;

static block_stats_t block_stats;

/* Emits the buffered block as whichever of stored/fixed/dynamic is smallest. */
static NOINLINE void flush_block(bitw_t *w, symbuf_t *s, const u8 *src, u32 end, u32 final) {
    u32 raw_len = end - s->block_start;
    u32 dyn_bits = plan_dynamic(&dyn, s);
    u32 fix_bits = fixed_cost(s);
    u32 sto_bits = stored_cost(raw_len);
    if (sto_bits <= dyn_bits && sto_bits <= fix_bits) {
        write_stored(w, src + s->block_start, raw_len, final);
        block_stats.stored++;
    } else if (fix_bits <= dyn_bits) {
        bw_put(w, final, 1);
        bw_put(w, 1, 2);
        write_symbols(w, s, &fixed_litlen, &fixed_dist);
        block_stats.fixed++;
    } else {
        bw_put(w, final, 1);
        bw_put(w, 2, 2);
        write_dynamic_header(w, &dyn);
        write_symbols(w, s, &dyn.litlen, &dyn.dist);
        block_stats.dynamic++;
    }
    symbuf_reset(s, end);
}

/* ------------------------------------------------------------------------ */
/* Match finder                                                              */
/* ------------------------------------------------------------------------ */

typedef struct {
    u32 max_chain;  /* how many chain links to follow */
    u32 nice_len;   /* stop searching once a match this long is found */
    u32 good_len;   /* reduce the chain when the previous match is this long */
    u32 lazy;       /* 1: lazy evaluation (zlib levels 4..9), 0: greedy */
} level_t;

static const level_t levels[10] = {
    {0, 0, 0, 0},        {4, 8, 4, 0},       {8, 16, 4, 0},       {32, 32, 4, 0},
    {16, 16, 4, 1},      {32, 32, 8, 1},     {128, 128, 8, 1},    {256, 128, 8, 1},
    {1024, 258, 32, 1},  {4096, 258, 32, 1},
};

static i32 head[HASH_SIZE];
static i32 prev_link[WSIZE];

static inline u32 hash3(const u8 *p) {
    u32 v = (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16;
    return (v * 2654435761u) >> (32 - HASH_BITS);
}

static void matcher_reset(void) {
    for (u32 i = 0; i < HASH_SIZE; i++) head[i] = -1;
    for (u32 i = 0; i < WSIZE; i++) prev_link[i] = -1;
}

static inline void insert_pos(const u8 *src, u32 n, u32 pos) {
    if (pos + MIN_MATCH > n) return;
    u32 h = hash3(src + pos);
    prev_link[pos & WMASK] = head[h];
    head[h] = (i32)pos;
}

/* Follows the hash chain from pos's head and returns the longest match
 * (length, via *dist_out the distance); 0 if none beats best_so_far. */
static NOINLINE u32 longest_match(const u8 *src, u32 n, u32 pos, u32 best_so_far, u32 chain, u32 nice,
                                  u32 *dist_out) {
    u32 max_len = n - pos;
    if (max_len > MAX_MATCH) max_len = MAX_MATCH;
    if (max_len < MIN_MATCH) return 0;
    if (nice > max_len) nice = max_len;
    if (best_so_far >= max_len) return 0;
    u32 best = best_so_far;
    u32 best_dist = 0;
    const u8 *scan = src + pos;
    i32 cand = prev_link[pos & WMASK];
    /* pos itself was just inserted, so the chain starts at its predecessor */
    while (cand >= 0 && chain-- > 0) {
        u32 c = (u32)cand;
        if (pos - c > MAX_DIST) break;
        const u8 *m = src + c;
        if (m[best] == scan[best] && m[0] == scan[0] && m[1] == scan[1]) {
            u32 len = 2;
            while (len < max_len && m[len] == scan[len]) len++;
            if (len > best) {
                best = len;
                best_dist = pos - c;
                if (len >= nice) break;
            }
        }
        i32 nx = prev_link[c & WMASK];
        if (nx >= cand) break; /* stale link from a slot reused by a newer position */
        cand = nx;
    }
    if (best_dist == 0) return 0;
    *dist_out = best_dist;
    return best;
}

/* ------------------------------------------------------------------------ */
/* Compressor drivers                                                        */
/* ------------------------------------------------------------------------ */

static inline void maybe_flush(bitw_t *w, symbuf_t *s, const u8 *src, u32 pos) {
    if (s->count >= BLOCK_SYMBOLS - 2) flush_block(w, s, src, pos, 0);
}

static NOINLINE void deflate_greedy(bitw_t *w, const u8 *src, u32 n, const level_t *lv) {
    symbuf_t *s = &symbuf;
    symbuf_reset(s, 0);
    matcher_reset();
    u32 i = 0;
    while (i < n) {
        insert_pos(src, n, i);
        u32 dist = 0;
        u32 len = longest_match(src, n, i, MIN_MATCH - 1, lv->max_chain, lv->nice_len, &dist);
        if (len == MIN_MATCH && dist > TOO_FAR) len = 0;
        if (len >= MIN_MATCH) {
            sym_match(s, len, dist);
            for (u32 k = 1; k < len; k++) insert_pos(src, n, i + k);
            i += len;
        } else {
            sym_literal(s, src[i]);
            i++;
        }
        maybe_flush(w, s, src, i);
    }
    flush_block(w, s, src, n, 1);
}

static NOINLINE void deflate_lazy(bitw_t *w, const u8 *src, u32 n, const level_t *lv) {
    symbuf_t *s = &symbuf;
    symbuf_reset(s, 0);
    matcher_reset();
    u32 i = 0, prev_len = 0, prev_dist = 0, have_prev = 0;
    while (i < n) {
        insert_pos(src, n, i);
        u32 len = 0, dist = 0;
        if (prev_len < lv->nice_len) {
            u32 chain = lv->max_chain;
            if (prev_len >= lv->good_len) chain >>= 2;
            u32 floor = prev_len > MIN_MATCH - 1 ? prev_len : MIN_MATCH - 1;
            len = longest_match(src, n, i, floor, chain, lv->nice_len, &dist);
            if (len == MIN_MATCH && dist > TOO_FAR) len = 0;
        }
        if (prev_len >= MIN_MATCH && len <= prev_len) {
            /* the match starting at i-1 wins */
            sym_match(s, prev_len, prev_dist);
            u32 end = i - 1 + prev_len;
            for (u32 k = i + 1; k < end; k++) insert_pos(src, n, k);
            i = end;
            prev_len = 0;
            have_prev = 0;
            maybe_flush(w, s, src, i);
        } else {
            if (have_prev) {
                sym_literal(s, src[i - 1]);
                maybe_flush(w, s, src, i);
            }
            have_prev = 1;
            prev_len = len;
            prev_dist = dist;
            i++;
        }
    }
    if (have_prev) {
        if (prev_len >= MIN_MATCH) sym_match(s, prev_len, prev_dist);
        else sym_literal(s, src[n - 1]);
    }
    flush_block(w, s, src, n, 1);
}

/* Raw DEFLATE at the given level (0 = stored only). Returns the byte size,
 * or 0 on output overflow. */
static NOINLINE u32 deflate_raw(u8 *dst, u32 cap, const u8 *src, u32 n, u32 level) {
    bitw_t w;
    bw_init(&w, dst, cap);
    if (level == 0) write_stored(&w, src, n, 1);
    else if (levels[level].lazy) deflate_lazy(&w, src, n, &levels[level]);
    else deflate_greedy(&w, src, n, &levels[level]);
    bw_align(&w);
    return w.overflow ? 0 : w.pos;
}

static u32 zlib_compress(u8 *dst, u32 cap, const u8 *src, u32 n, u32 level) {
    if (cap < 6) return 0;
    u32 flevel = level < 2 ? 0 : level < 6 ? 1 : level == 6 ? 2 : 3;
    u32 cmf = 0x78, flg = flevel << 6;
    flg += 31 - ((cmf << 8) + flg) % 31;
    dst[0] = (u8)cmf;
    dst[1] = (u8)flg;
    u32 body = deflate_raw(dst + 2, cap - 6, src, n, level);
    if (!body && n) return 0;
    u32 a = adler32_update(1, src, n);
    u8 *t = dst + 2 + body;
    t[0] = (u8)(a >> 24);
    t[1] = (u8)(a >> 16);
    t[2] = (u8)(a >> 8);
    t[3] = (u8)a;
    return body + 6;
}

static u32 gzip_compress(u8 *dst, u32 cap, const u8 *src, u32 n, u32 level) {
    if (cap < 18) return 0;
    static const u8 hdr[10] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3};
    for (u32 i = 0; i < 10; i++) dst[i] = hdr[i];
    u32 body = deflate_raw(dst + 10, cap - 18, src, n, level);
    if (!body && n) return 0;
    u32 c = crc32_update(0, src, n);
    u8 *t = dst + 10 + body;
    for (u32 i = 0; i < 4; i++) t[i] = (u8)(c >> (8 * i));
    for (u32 i = 0; i < 4; i++) t[4 + i] = (u8)(n >> (8 * i));
    return body + 18;
}

/* ------------------------------------------------------------------------ */
/* Bit reader                                                                */
/* ------------------------------------------------------------------------ */

typedef struct {
    const u8 *in;
    u32 len;
    u32 pos;      /* next byte to load (may run past len: zeros are fed) */
    u64 bitbuf;
    u32 bitcnt;
} bitr_t;

static void br_init(bitr_t *r, const u8 *in, u32 len) {
    r->in = in;
    r->len = len;
    r->pos = 0;
    r->bitbuf = 0;
    r->bitcnt = 0;
}

static inline void br_need(bitr_t *r, u32 n) {
    while (r->bitcnt < n) {
        u32 b = r->pos < r->len ? r->in[r->pos] : 0;
        r->pos++;
        r->bitbuf |= (u64)b << r->bitcnt;
        r->bitcnt += 8;
    }
}

static inline u32 br_bits(bitr_t *r, u32 n) {
    br_need(r, n);
    u32 v = (u32)r->bitbuf & ((1u << n) - 1);
    r->bitbuf >>= n;
    r->bitcnt -= n;
    return v;
}

static inline void br_drop(bitr_t *r, u32 n) {
    r->bitbuf >>= n;
    r->bitcnt -= n;
}

/* Bytes consumed so far; larger than len means the stream was truncated. */
static inline u32 br_consumed(const bitr_t *r) { return r->pos - r->bitcnt / 8; }

/* ------------------------------------------------------------------------ */
/* Huffman decoding                                                          */
/* ------------------------------------------------------------------------ */

#define FAST_BITS 9
#define FAST_SIZE (1u << FAST_BITS)

typedef struct {
    u16 fast[FAST_SIZE];          /* (len << 9) | symbol, 0 = use slow path */
    u16 count[MAX_BITS + 1];      /* codes per length */
    u16 symbol[LITLEN_CODES];     /* symbols in canonical order */
} huff_t;

/* Builds decoding tables from code lengths. Incomplete codes are accepted
 * only when they have a single code (RFC 1951 allows that for distances). */
static NOINLINE u32 huff_build(huff_t *h, const u8 *lens, u32 n) {
    u16 offs[MAX_BITS + 2];
    for (u32 i = 0; i <= MAX_BITS; i++) h->count[i] = 0;
    for (u32 i = 0; i < n; i++) h->count[lens[i]]++;
    if (h->count[0] == n) {
        for (u32 i = 0; i < FAST_SIZE; i++) h->fast[i] = 0;
        return ERR_NONE; /* no codes: fine as long as none is used */
    }
    i32 left = 1;
    for (u32 len = 1; len <= MAX_BITS; len++) {
        left <<= 1;
        left -= h->count[len];
        if (left < 0) return ERR_OVERSUBSCRIBED;
    }
    offs[1] = 0;
    for (u32 len = 1; len < MAX_BITS; len++) offs[len + 1] = (u16)(offs[len] + h->count[len]);
    for (u32 i = 0; i < n; i++)
        if (lens[i]) h->symbol[offs[lens[i]]++] = (u16)i;
    if (left > 0 && n - h->count[0] != 1) return ERR_INCOMPLETE;

    for (u32 i = 0; i < FAST_SIZE; i++) h->fast[i] = 0;
    u32 code = 0, idx = 0;
    for (u32 len = 1; len <= FAST_BITS; len++) {
        for (u32 k = 0; k < h->count[len]; k++) {
            u32 sym = h->symbol[idx++];
            u32 rev = reverse_bits(code, len);
            for (u32 e = rev; e < FAST_SIZE; e += 1u << len) h->fast[e] = (u16)((len << 9) | sym);
            code++;
        }
        code <<= 1;
    }
    return ERR_NONE;
}

/* Decodes one symbol; returns -1 on an invalid code. */
static inline i32 huff_decode(bitr_t *r, const huff_t *h) {
    br_need(r, MAX_BITS);
    u32 e = h->fast[r->bitbuf & (FAST_SIZE - 1)];
    if (e) {
        br_drop(r, e >> 9);
        return (i32)(e & 511);
    }
    /* canonical slow path, one bit at a time (puff-style) */
    u32 bits = (u32)r->bitbuf;
    i32 code = 0, first = 0, index = 0;
    for (u32 len = 1; len <= MAX_BITS; len++) {
        code |= (i32)(bits & 1);
        bits >>= 1;
        i32 count = h->count[len];
        if (code - count < first) {
            br_drop(r, len);
            return h->symbol[index + (code - first)];
        }
        index += count;
        first += count;
        first <<= 1;
        code <<= 1;
    }
    return -1;
}

static huff_t fixed_ll_dec, fixed_d_dec;
static huff_t dyn_ll_dec, dyn_d_dec, cl_dec;

static void fixed_decoders_init(void) {
    u8 lens[LITLEN_CODES];
    for (u32 i = 0; i < 144; i++) lens[i] = 8;
    for (u32 i = 144; i < 256; i++) lens[i] = 9;
    for (u32 i = 256; i < 280; i++) lens[i] = 7;
    for (u32 i = 280; i < 288; i++) lens[i] = 8;
    huff_build(&fixed_ll_dec, lens, LITLEN_CODES);
    for (u32 i = 0; i < DIST_CODES; i++) lens[i] = 5;
    huff_build(&fixed_d_dec, lens, DIST_CODES);
}

/* ------------------------------------------------------------------------ */
/* Inflate                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct {
    u8 *out;
    u32 cap;
    u32 pos;
    u32 blocks[3];
} inflate_out_t;

static NOINLINE u32 inflate_stored(bitr_t *r, inflate_out_t *o) {
    br_drop(r, r->bitcnt & 7);
    u32 len = br_bits(r, 16);
    u32 nlen = br_bits(r, 16);
    if ((len ^ 0xFFFF) != nlen) return ERR_BAD_STORED;
    /* hand back whole bytes still held in the bit buffer */
    r->pos -= r->bitcnt / 8;
    r->bitbuf = 0;
    r->bitcnt = 0;
    if (r->pos + len > r->len) return ERR_TRUNCATED;
    if (o->pos + len > o->cap) return ERR_OVERFLOW;
    memcpy(o->out + o->pos, r->in + r->pos, len);
    r->pos += len;
    o->pos += len;
    return ERR_NONE;
}

static NOINLINE u32 inflate_codes(bitr_t *r, inflate_out_t *o, const huff_t *ll, const huff_t *dd) {
    u8 *out = o->out;
    u32 pos = o->pos, cap = o->cap;
    for (;;) {
        i32 sym = huff_decode(r, ll);
        if (sym < 0) return ERR_BAD_CODE;
        if (sym < 256) {
            if (pos >= cap) return ERR_OVERFLOW;
            out[pos++] = (u8)sym;
            continue;
        }
        if (sym == END_BLOCK) break;
        sym -= 257;
        if (sym >= 29) return ERR_BAD_CODE;
        u32 len = len_base[sym] + br_bits(r, len_extra[sym]);
        i32 ds = huff_decode(r, dd);
        if (ds < 0 || ds >= 30) return ERR_BAD_DIST;
        u32 dist = dist_base[ds] + br_bits(r, dist_extra[ds]);
        if (dist > pos) return ERR_BAD_DIST;
        if (pos + len > cap) return ERR_OVERFLOW;
        const u8 *from = out + pos - dist;
        u8 *to = out + pos;
        if (dist >= len) {
            for (u32 k = 0; k < len; k++) to[k] = from[k];
        } else {
            for (u32 k = 0; k < len; k++) to[k] = from[k]; /* overlapping: byte order matters */
        }
        pos += len;
    }
    o->pos = pos;
    return ERR_NONE;
}

static NOINLINE u32 inflate_dynamic_tables(bitr_t *r) {
    u32 hlit = br_bits(r, 5) + 257;
    u32 hdist = br_bits(r, 5) + 1;
    u32 hclen = br_bits(r, 4) + 4;
    if (hlit > 286 || hdist > 30) return ERR_BAD_LENGTHS;
    u8 cl_lens[CL_CODES];
    for (u32 i = 0; i < CL_CODES; i++) cl_lens[i] = 0;
    for (u32 i = 0; i < hclen; i++) cl_lens[cl_order[i]] = (u8)br_bits(r, 3);
    u32 err = huff_build(&cl_dec, cl_lens, CL_CODES);
    if (err) return err;

    u8 lens[LITLEN_CODES + DIST_CODES];
    u32 idx = 0;
    while (idx < hlit + hdist) {
        i32 sym = huff_decode(r, &cl_dec);
        if (sym < 0) return ERR_BAD_LENGTHS;
        if (sym < 16) {
            lens[idx++] = (u8)sym;
            continue;
        }
        u32 rep, val = 0;
        if (sym == 16) {
            if (idx == 0) return ERR_BAD_LENGTHS;
            val = lens[idx - 1];
            rep = 3 + br_bits(r, 2);
        } else if (sym == 17) {
            rep = 3 + br_bits(r, 3);
        } else {
            rep = 11 + br_bits(r, 7);
        }
        if (idx + rep > hlit + hdist) return ERR_BAD_LENGTHS;
        while (rep--) lens[idx++] = (u8)val;
    }
    if (lens[END_BLOCK] == 0) return ERR_BAD_LENGTHS;
    err = huff_build(&dyn_ll_dec, lens, hlit);
    if (err) return err;
    err = huff_build(&dyn_d_dec, lens + hlit, hdist);
    return err;
}

/* Inflates a raw DEFLATE stream. Returns an error code; *consumed gets the
 * number of input bytes used (so framing can find the trailer). */
static NOINLINE u32 inflate_raw(inflate_out_t *o, const u8 *in, u32 len, u32 *consumed) {
    bitr_t r;
    br_init(&r, in, len);
    u32 final;
    do {
        final = br_bits(&r, 1);
        u32 type = br_bits(&r, 2);
        u32 err;
        if (type == 0) err = inflate_stored(&r, o);
        else if (type == 1) err = inflate_codes(&r, o, &fixed_ll_dec, &fixed_d_dec);
        else if (type == 2) {
            err = inflate_dynamic_tables(&r);
            if (!err) err = inflate_codes(&r, o, &dyn_ll_dec, &dyn_d_dec);
        } else err = ERR_BAD_BLOCK;
        if (err) return err;
        if (type < 3) o->blocks[type]++;
        if (br_consumed(&r) > len) return ERR_TRUNCATED;
    } while (!final);
    *consumed = br_consumed(&r);
    return ERR_NONE;
}

static u32 zlib_decompress(u8 *dst, u32 cap, const u8 *src, u32 n, u32 *out_len, u32 *blocks) {
    if (n < 6) return ERR_TRUNCATED;
    u32 cmf = src[0], flg = src[1];
    if ((cmf & 15) != 8 || ((cmf << 8) | flg) % 31 != 0 || (flg & 0x20)) return ERR_BAD_HEADER;
    inflate_out_t o = {dst, cap, 0, {0, 0, 0}};
    u32 used = 0;
    u32 err = inflate_raw(&o, src + 2, n - 6, &used);
    if (err) return err;
    const u8 *t = src + 2 + used;
    u32 want = (u32)t[0] << 24 | (u32)t[1] << 16 | (u32)t[2] << 8 | t[3];
    if (adler32_update(1, dst, o.pos) != want) return ERR_BAD_CHECKSUM;
    *out_len = o.pos;
    for (u32 i = 0; i < 3; i++) blocks[i] += o.blocks[i];
    return ERR_NONE;
}

static u32 gzip_decompress(u8 *dst, u32 cap, const u8 *src, u32 n, u32 *out_len) {
    if (n < 18 || src[0] != 0x1f || src[1] != 0x8b || src[2] != 8) return ERR_BAD_HEADER;
    u32 flags = src[3], p = 10;
    if (flags & 4) { /* FEXTRA */
        u32 xlen = src[p] | (u32)src[p + 1] << 8;
        p += 2 + xlen;
    }
    if (flags & 8) { while (p < n && src[p]) p++; p++; }  /* FNAME */
    if (flags & 16) { while (p < n && src[p]) p++; p++; } /* FCOMMENT */
    if (flags & 2) p += 2;                                 /* FHCRC */
    if (p + 8 > n) return ERR_TRUNCATED;
    inflate_out_t o = {dst, cap, 0, {0, 0, 0}};
    u32 used = 0;
    u32 err = inflate_raw(&o, src + p, n - p - 8, &used);
    if (err) return err;
    const u8 *t = src + p + used;
    u32 crc = (u32)t[0] | (u32)t[1] << 8 | (u32)t[2] << 16 | (u32)t[3] << 24;
    u32 isize = (u32)t[4] | (u32)t[5] << 8 | (u32)t[6] << 16 | (u32)t[7] << 24;
    if (crc32_update(0, dst, o.pos) != crc || isize != o.pos) return ERR_BAD_CHECKSUM;
    *out_len = o.pos;
    return ERR_NONE;
}

/* ------------------------------------------------------------------------ */
/* LZ4-style block codec (byte-oriented LZ77, no entropy coding)             */
/* ------------------------------------------------------------------------ */

#define LZB_HASH_BITS 14
#define LZB_MIN 4u
#define LZB_LAST_LITERALS 5u
#define LZB_MAX_OFFSET 65535u

static u32 lzb_table[1u << LZB_HASH_BITS];

static inline u32 read32(const u8 *p) { return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24; }

static inline u32 lzb_hash(u32 v) { return (v * 2654435761u) >> (32 - LZB_HASH_BITS); }

static u8 *lzb_put_length(u8 *op, u32 len) {
    while (len >= 255) {
        *op++ = 255;
        len -= 255;
    }
    *op++ = (u8)len;
    return op;
}

static u8 *lzb_emit(u8 *op, const u8 *lit, u32 nlit, u32 mlen, u32 offset) {
    u8 *token = op++;
    u32 t = (nlit >= 15 ? 15u : nlit) << 4;
    if (nlit >= 15) op = lzb_put_length(op, nlit - 15);
    memcpy(op, lit, nlit);
    op += nlit;
    if (mlen) {
        *op++ = (u8)offset;
        *op++ = (u8)(offset >> 8);
        u32 m = mlen - LZB_MIN;
        t |= m >= 15 ? 15u : m;
        if (m >= 15) op = lzb_put_length(op, m - 15);
    }
    *token = (u8)t;
    return op;
}

/* acceleration: how fast the search skips ahead over incompressible data */
static NOINLINE u32 lzb_compress(u8 *dst, const u8 *src, u32 n, u32 acceleration) {
    for (u32 i = 0; i < (1u << LZB_HASH_BITS); i++) lzb_table[i] = 0xFFFFFFFFu;
    u8 *op = dst;
    u32 anchor = 0, i = 0;
    if (n < LZB_MIN + LZB_LAST_LITERALS + 1) return (u32)(lzb_emit(op, src, n, 0, 0) - dst);
    u32 limit = n - LZB_LAST_LITERALS - LZB_MIN;
    u32 misses = 0;
    while (i < limit) {
        u32 v = read32(src + i);
        u32 h = lzb_hash(v);
        u32 cand = lzb_table[h];
        lzb_table[h] = i;
        if (cand != 0xFFFFFFFFu && i - cand <= LZB_MAX_OFFSET && read32(src + cand) == v) {
            /* extend backwards over pending literals, then forwards */
            while (i > anchor && cand > 0 && src[i - 1] == src[cand - 1]) {
                i--;
                cand--;
            }
            u32 len = LZB_MIN;
            u32 max = n - LZB_LAST_LITERALS - i;
            while (len < max && src[i + len] == src[cand + len]) len++;
            op = lzb_emit(op, src + anchor, i - anchor, len, i - cand);
            i += len;
            anchor = i;
            misses = 0;
            if (i >= 2 && i - 2 < limit) lzb_table[lzb_hash(read32(src + i - 2))] = i - 2;
        } else {
            misses++;
            i += 1 + (misses >> acceleration);
        }
    }
    op = lzb_emit(op, src + anchor, n - anchor, 0, 0);
    return (u32)(op - dst);
}

static NOINLINE u32 lzb_decompress(u8 *dst, u32 cap, const u8 *src, u32 n, u32 *out_len) {
    u32 ip = 0, op = 0;
    while (ip < n) {
        u32 token = src[ip++];
        u32 nlit = token >> 4;
        if (nlit == 15) {
            u32 b;
            do {
                if (ip >= n) return ERR_TRUNCATED;
                b = src[ip++];
                nlit += b;
            } while (b == 255);
        }
        if (ip + nlit > n) return ERR_TRUNCATED;
        if (op + nlit > cap) return ERR_OVERFLOW;
        memcpy(dst + op, src + ip, nlit);
        ip += nlit;
        op += nlit;
        if (ip >= n) break; /* last sequence has literals only */
        if (ip + 2 > n) return ERR_TRUNCATED;
        u32 offset = (u32)src[ip] | (u32)src[ip + 1] << 8;
        ip += 2;
        if (offset == 0 || offset > op) return ERR_BAD_DIST;
        u32 mlen = token & 15;
        if (mlen == 15) {
            u32 b;
            do {
                if (ip >= n) return ERR_TRUNCATED;
                b = src[ip++];
                mlen += b;
            } while (b == 255);
        }
        mlen += LZB_MIN;
        if (op + mlen > cap) return ERR_OVERFLOW;
        const u8 *from = dst + op - offset;
        u8 *to = dst + op;
        for (u32 k = 0; k < mlen; k++) to[k] = from[k];
        op += mlen;
    }
    *out_len = op;
    return ERR_NONE;
}

/* ------------------------------------------------------------------------ */
/* Input generation                                                          */
/* ------------------------------------------------------------------------ */

static const char *const vocabulary[] = {
    "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by",
    "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had",
    "they", "you", "were", "their", "one", "all", "we", "can", "her", "has", "there", "been", "if",
    "more", "when", "will", "would", "who", "so", "no", "module", "function", "memory", "table",
    "interpreter", "instruction", "register", "branch", "compile", "validate", "decode", "export",
    "import", "global", "stack", "frame", "value", "result", "block", "loop", "return", "call",
    "indirect", "select", "local", "constant", "integer", "float", "vector", "signature", "element",
    "segment", "section", "custom", "binary", "format", "runtime", "embedding", "trap", "overflow",
    "division", "conversion", "saturating", "truncation", "reference", "null", "extern", "funcref",
};
#define VOCAB (sizeof(vocabulary) / sizeof(vocabulary[0]))

typedef struct {
    u8 *p;
    u32 n;
    u32 cap;
} gen_t;

static void gen_byte(gen_t *g, u32 b) {
    if (g->n < g->cap) g->p[g->n++] = (u8)b;
}

static void gen_str(gen_t *g, const char *s) {
    while (*s) gen_byte(g, (u8)*s++);
}

static void gen_uint(gen_t *g, u32 v, u32 width) {
    char tmp[12];
    u32 k = 0;
    do {
        tmp[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (k < width) tmp[k++] = '0';
    while (k) gen_byte(g, (u8)tmp[--k]);
}

static void gen_hex(gen_t *g, u32 v, u32 digits) {
    static const char hexd[] = "0123456789abcdef";
    for (i32 i = (i32)digits - 1; i >= 0; i--) gen_byte(g, (u8)hexd[(v >> (4 * i)) & 15]);
}

/* Zipf-like word choice: the square of a uniform favours low indices. */
static u32 zipf_index(rng_t *r, u32 n) {
    u32 a = rng_below(r, n), b = rng_below(r, n);
    return a * b / n;
}

static NOINLINE void gen_prose(gen_t *g, rng_t *r, u32 bytes) {
    u32 end = g->n + bytes;
    u32 sentence_start = 1;
    while (g->n < end && g->n < g->cap) {
        const char *w = vocabulary[zipf_index(r, VOCAB)];
        if (sentence_start) {
            gen_byte(g, (u8)(w[0] >= 'a' && w[0] <= 'z' ? w[0] - 32 : w[0]));
            gen_str(g, w + 1);
            sentence_start = 0;
        } else {
            gen_str(g, w);
        }
        u32 p = rng_below(r, 100);
        if (p < 8) {
            gen_str(g, ". ");
            sentence_start = 1;
            if (rng_below(r, 6) == 0) gen_str(g, "\n\n");
        } else if (p < 14) {
            gen_str(g, ", ");
        } else {
            gen_byte(g, ' ');
        }
    }
}

static NOINLINE void gen_logs(gen_t *g, rng_t *r, u32 bytes) {
    static const char *const levels_s[] = {"INFO", "DEBUG", "WARN", "ERROR"};
    static const char *const comps[] = {"decoder", "validator", "translator", "interp", "store", "gossip"};
    u32 end = g->n + bytes;
    u32 t = 1700000000;
    while (g->n < end && g->n < g->cap) {
        t += rng_below(r, 3);
        gen_uint(g, t, 10);
        gen_byte(g, '.');
        gen_uint(g, rng_below(r, 1000), 3);
        gen_byte(g, ' ');
        gen_str(g, levels_s[zipf_index(r, 4)]);
        gen_str(g, " [");
        gen_str(g, comps[rng_below(r, 6)]);
        gen_str(g, "] request=");
        gen_hex(g, rng_u32(r), 8);
        gen_str(g, " bytes=");
        gen_uint(g, rng_below(r, 65536), 0);
        gen_str(g, " took=");
        gen_uint(g, rng_below(r, 900), 0);
        gen_str(g, "us status=");
        gen_uint(g, rng_below(r, 8) ? 200 : 500, 0);
        gen_byte(g, '\n');
    }
}

static NOINLINE void gen_records(gen_t *g, rng_t *r, u32 bytes) {
    u32 end = g->n + bytes;
    u32 id = 1;
    while (g->n + 16 <= end && g->n + 16 <= g->cap) {
        /* little-endian struct { u32 id; u16 kind; u16 flags; f32-ish; u32 } */
        u32 vals[4] = {id++, rng_below(r, 16) | (rng_below(r, 4) << 16), 0x3f800000u + (rng_below(r, 1024) << 13),
                       rng_below(r, 4) ? 0 : rng_u32(r)};
        for (u32 k = 0; k < 4; k++)
            for (u32 b = 0; b < 4; b++) gen_byte(g, (u8)(vals[k] >> (8 * b)));
    }
}

static NOINLINE void gen_noise(gen_t *g, rng_t *r, u32 bytes) {
    for (u32 i = 0; i < bytes; i++) gen_byte(g, (u8)rng_u32(r));
}

static NOINLINE void gen_runs(gen_t *g, rng_t *r, u32 bytes) {
    u32 end = g->n + bytes;
    while (g->n < end && g->n < g->cap) {
        u32 b = rng_below(r, 4) ? 0 : (u8)rng_u32(r);
        u32 len = 1 + rng_below(r, 700);
        for (u32 k = 0; k < len && g->n < end; k++) gen_byte(g, b);
    }
}

static NOINLINE u32 generate_input(u8 *dst, u32 cap, u32 target, u64 seed) {
    gen_t g = {dst, 0, cap};
    rng_t r;
    rng_seed(&r, seed);
    while (g.n < target && g.n < cap) {
        u32 kind = rng_below(&r, 10);
        u32 chunk = 4096 + rng_below(&r, 60000);
        if (g.n + chunk > target) chunk = target - g.n;
        if (kind < 4) gen_prose(&g, &r, chunk);
        else if (kind < 7) gen_logs(&g, &r, chunk);
        else if (kind < 8) gen_records(&g, &r, chunk);
        else if (kind < 9) gen_noise(&g, &r, chunk / 4);
        else gen_runs(&g, &r, chunk);
    }
    return g.n < target ? g.n : target;
}

/* ------------------------------------------------------------------------ */
/* Self-checks on tiny inputs (edge cases of the format)                     */
/* ------------------------------------------------------------------------ */

static u8 small_in[2048];
static u8 small_comp[4096];
static u8 small_out[2048];

static NOINLINE u32 edge_cases(void) {
    u32 failures = 0;
    /* empty input, one byte, all-same bytes, all 256 byte values, a period-3 pattern */
    for (u32 c = 0; c < 5; c++) {
        u32 n = 0;
        if (c == 1) { small_in[0] = 'x'; n = 1; }
        if (c == 2) { memset(small_in, 'a', 1500); n = 1500; }
        if (c == 3) { for (u32 i = 0; i < 256; i++) small_in[i] = (u8)i; n = 256; }
        if (c == 4) { for (u32 i = 0; i < 2000; i++) small_in[i] = (u8)("abc"[i % 3]); n = 2000; }
        for (u32 level = 0; level <= 9; level += 3) {
            u32 clen = zlib_compress(small_comp, sizeof small_comp, small_in, n, level);
            u32 olen = 0, blocks[3] = {0, 0, 0};
            u32 err = clen ? zlib_decompress(small_out, sizeof small_out, small_comp, clen, &olen, blocks) : ERR_OVERFLOW;
            if (err || olen != n || memcmp(small_in, small_out, n) != 0) failures++;
        }
        u32 blen = lzb_compress(small_comp, small_in, n, 6);
        u32 olen = 0;
        if (lzb_decompress(small_out, sizeof small_out, small_comp, blen, &olen) || olen != n ||
            memcmp(small_in, small_out, n) != 0)
            failures++;
    }
    /* corrupted streams must be rejected, not crash */
    for (u32 i = 0; i < 2000; i++) small_in[i] = (u8)("hello wasm world "[i % 17]);
    u32 clen = zlib_compress(small_comp, sizeof small_comp, small_in, 2000, 6);
    for (u32 k = 2; k < clen; k += 3) {
        small_comp[k] ^= 0x5A;
        u32 olen = 0, blocks[3] = {0, 0, 0};
        u32 err = zlib_decompress(small_out, sizeof small_out, small_comp, clen, &olen, blocks);
        if (err == ERR_NONE && (olen != 2000 || memcmp(small_in, small_out, 2000) != 0)) failures++;
        small_comp[k] ^= 0x5A;
    }
    return failures;
}

/* ------------------------------------------------------------------------ */
/* Benchmark driver                                                          */
/* ------------------------------------------------------------------------ */

static volatile u32 input_size_v = 640u << 10;

#ifdef DEFLATE_DEBUG_EXPORTS
/* Test hooks (not in the benchmark build): compress the generated input at a
 * level and expose the buffers so a host can check the stream with zlib. */
EXPORT u32 debug_compress(u32 level, u32 size) {
    tables_init(); crc_init(); fixed_codes_init(); fixed_decoders_init();
    u32 n = generate_input(input, INPUT_MAX, size, 0xC0FFEE);
    return zlib_compress(comp, COMP_MAX, input, n, level);
}
EXPORT u32 debug_gzip(u32 level, u32 size) {
    u32 n = generate_input(input, INPUT_MAX, size, 0xC0FFEE);
    return gzip_compress(comp, COMP_MAX, input, n, level);
}
EXPORT u32 debug_edge_failures(void) {
    tables_init(); crc_init(); fixed_codes_init(); fixed_decoders_init();
    return edge_cases();
}
EXPORT u8 *debug_input(void) { return input; }
EXPORT u8 *debug_comp(void) { return comp; }
#endif

EXPORT i64 run(void) {
    tables_init();
    crc_init();
    fixed_codes_init();
    fixed_decoders_init();
    u64 h = 0;
    u32 failures = edge_cases();

    u32 n = generate_input(input, INPUT_MAX, input_size_v, 0xC0FFEE);
    h = mix64(h, crc32_update(0, input, n));

    static const u32 bench_levels[] = {1, 6};
    u32 blocks[3] = {0, 0, 0};
    for (u32 li = 0; li < 2; li++) {
        u32 level = bench_levels[li];
        block_stats.stored = block_stats.fixed = block_stats.dynamic = 0;
        u32 clen = zlib_compress(comp, COMP_MAX, input, n, level);
        u32 olen = 0;
        u32 err = clen ? zlib_decompress(output, sizeof output, comp, clen, &olen, blocks) : ERR_OVERFLOW;
        if (!err && (olen != n || memcmp(input, output, n) != 0)) err = ERR_MISMATCH;
        h = mix64(h, ((u64)clen << 8) | err);
        h = mix64(h, adler32_update(1, comp, clen));
        h = mix64(h, ((u64)block_stats.stored << 40) | ((u64)block_stats.fixed << 20) | block_stats.dynamic);
    }
    {
        u32 clen = gzip_compress(comp, COMP_MAX, input, n / 2, 3);
        u32 olen = 0;
        u32 err = clen ? gzip_decompress(output, sizeof output, comp, clen, &olen) : ERR_OVERFLOW;
        if (!err && (olen != n / 2 || memcmp(input, output, n / 2) != 0)) err = ERR_MISMATCH;
        h = mix64(h, ((u64)clen << 8) | err);
    }
    for (u32 accel = 2; accel <= 6; accel += 4) {
        u32 clen = lzb_compress(comp, input, n, accel);
        u32 olen = 0;
        u32 err = lzb_decompress(output, sizeof output, comp, clen, &olen);
        if (!err && (olen != n || memcmp(input, output, n) != 0)) err = ERR_MISMATCH;
        h = mix64(h, ((u64)clen << 8) | err);
        h = mix64(h, crc32_update(0, comp, clen));
    }
    h = mix64(h, ((u64)blocks[0] << 40) | ((u64)blocks[1] << 20) | blocks[2]);
    return (i64)mix64(h, failures);
}
