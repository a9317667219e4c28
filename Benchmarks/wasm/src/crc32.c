/* crc32: CRC-32 (IEEE, reflected) three ways over 8 MB: bitwise, one table,
 * and slicing-by-8, plus Adler-32. Stresses shifts/xors, table lookups with
 * computed indices and byte loads. Checked against the standard check value
 * of "123456789" (0xCBF43926); a mismatch makes the checksum 0. */
#include "bench.h"

#define BUF (8u << 20)
static u8 data[BUF];
static u32 table[8][256];
static volatile u32 reps_v = 3;

static void make_tables(void) {
    for (u32 i = 0; i < 256; i++) {
        u32 c = i;
        for (i32 k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[0][i] = c;
    }
    for (u32 i = 0; i < 256; i++)
        for (u32 t = 1; t < 8; t++) table[t][i] = (table[t - 1][i] >> 8) ^ table[0][table[t - 1][i] & 0xFF];
}

static NOINLINE u32 crc_bitwise(const u8 *p, u32 n) {
    u32 c = 0xFFFFFFFFu;
    for (u32 i = 0; i < n; i++) {
        c ^= p[i];
        for (i32 k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
    }
    return ~c;
}

static NOINLINE u32 crc_table(const u8 *p, u32 n) {
    u32 c = 0xFFFFFFFFu;
    for (u32 i = 0; i < n; i++) c = table[0][(c ^ p[i]) & 0xFF] ^ (c >> 8);
    return ~c;
}

static NOINLINE u32 crc_slice8(const u8 *p, u32 n) {
    u32 c = 0xFFFFFFFFu;
    while (n >= 8) {
        u32 lo = (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
        u32 hi = (u32)p[4] | (u32)p[5] << 8 | (u32)p[6] << 16 | (u32)p[7] << 24;
        lo ^= c;
        c = table[7][lo & 0xFF] ^ table[6][(lo >> 8) & 0xFF] ^ table[5][(lo >> 16) & 0xFF] ^ table[4][lo >> 24] ^
            table[3][hi & 0xFF] ^ table[2][(hi >> 8) & 0xFF] ^ table[1][(hi >> 16) & 0xFF] ^ table[0][hi >> 24];
        p += 8; n -= 8;
    }
    while (n--) c = table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}

static NOINLINE u32 adler32(const u8 *p, u32 n) {
    u32 a = 1, b = 0;
    while (n) {
        u32 k = n < 5552 ? n : 5552;
        n -= k;
        while (k--) { a += *p++; b += a; }
        a %= 65521; b %= 65521;
    }
    return b << 16 | a;
}

EXPORT i64 run(void) {
    make_tables();
    const u8 *check = (const u8 *)"123456789";
    if (crc_bitwise(check, 9) != 0xCBF43926u || crc_table(check, 9) != 0xCBF43926u ||
        crc_slice8(check, 9) != 0xCBF43926u || adler32(check, 9) != 0x091E01DEu) return 0;
    rng_t r;
    rng_seed(&r, 32);
    for (u32 i = 0; i < BUF; i += 4) *(u32 *)(data + i) = rng_u32(&r);
    u64 h = 0;
    for (u32 rep = 0; rep < reps_v; rep++) {
        u32 a = crc_table(data + rep, BUF - rep);
        u32 b = crc_slice8(data + rep, BUF - rep);
        u32 c = crc_bitwise(data + rep, BUF / 16);
        u32 d = adler32(data + rep, BUF - rep);
        h = mix64(h, ((u64)a << 32 | b) ^ ((u64)c << 16) ^ d ^ (a != b ? 0xBAD : 0));
        data[rep * 101] ^= (u8)a;
    }
    return (i64)h;
}
