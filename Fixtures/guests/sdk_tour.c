/*
 * sdk_tour.c - exercises every wrapper of ../sdk/nx.h once against the host, plus the
 * host behaviours the SDK relies on (retry on ERR_BUFFER_TOO_SMALL with untouched
 * memory, limits, reserved keys, scan pagination with both cursor styles).
 *
 * Exports
 *   run          returns 0 when every check passed, otherwise the code of the first
 *                failed check (codes are grouped: 1xx allocator, 2xx log, 3xx db,
 *                4xx reserved keys, 5xxx scans, 6xx time, 7xx crypto, 8xx system,
 *                9xx crdt, 95x net, 10xx decoders). Logs one "ok:" line per section and
 *                "FAIL <code>: <check> ..." for the failure.
 *   abort_check  calls nx_abort("sdk_tour: abort_check called"): the host must trap
 *                with that message.
 *   oob_check    passes an out-of-bounds pointer to db_get: the host must trap.
 *
 * CRDT/net: when the first CRDT call returns ERR_SYNC_DISABLED every CRDT and net
 * function must return it; when sync is enabled they are checked functionally
 * (relative to the state found, so repeated runs pass).
 *
 * Keys used: "tour/..." (all deleted at the start and at the end of a successful run).
 * Also logs "module_id = ...", "capability: ..." and "env NX_TOUR = ..." (when set) so
 * that a test harness can compare them with what it configured.
 */
#include "../sdk/nx.h"

/* ------------------------------------------------------------ check helpers */

static uint32_t g_checks;

static int32_t fail(int32_t code, const char *what, int line, int has_values, int64_t actual, int64_t expected) {
    nx_sb sb;
    nx_sb_init(&sb);
    nx_sb_str(&sb, "FAIL ");
    nx_sb_i64(&sb, code);
    nx_sb_str(&sb, ": ");
    nx_sb_str(&sb, what);
    if (has_values) {
        nx_sb_str(&sb, " = ");
        nx_sb_i64(&sb, actual);
        nx_sb_str(&sb, ", expected ");
        nx_sb_i64(&sb, expected);
    }
    nx_sb_str(&sb, " (sdk_tour.c:");
    nx_sb_i64(&sb, line);
    nx_sb_str(&sb, ")");
    nx_sb_log(&sb);
    return code;
}

#define CHECK(code, cond)                                              \
    do {                                                               \
        g_checks++;                                                    \
        if (!(cond)) return fail(code, #cond, __LINE__, 0, 0, 0);      \
    } while (0)

#define EXPECT(code, actual, expected)                                          \
    do {                                                                        \
        int64_t a_ = (int64_t)(actual), e_ = (int64_t)(expected);               \
        g_checks++;                                                             \
        if (a_ != e_) return fail(code, #actual, __LINE__, 1, a_, e_);          \
    } while (0)

#define RUN(section)                      \
    do {                                  \
        int32_t rc_ = section();          \
        if (rc_) return rc_;              \
    } while (0)

static void section_ok(const char *name, uint32_t before) {
    nx_sb sb;
    nx_sb_init(&sb);
    nx_sb_str(&sb, "ok: ");
    nx_sb_str(&sb, name);
    nx_sb_str(&sb, " (");
    nx_sb_u64(&sb, g_checks - before);
    nx_sb_str(&sb, " checks)");
    nx_sb_log(&sb);
}

static int slice_eq(nx_slice s, const void *data, uint32_t len) {
    return s.len == len && memcmp(s.data, data, len) == 0;
}
static int slice_eq_str(nx_slice s, const char *str) { return slice_eq(s, str, nx_strlen(str)); }
static int bytes_eq_str(const nx_bytes *b, const char *str) {
    return b->len == nx_strlen(str) && memcmp(b->data, str, b->len) == 0;
}
static uint32_t mem_end(void) { return (uint32_t)__builtin_wasm_memory_size(0) * 65536u; }
static void fill_pattern(uint8_t *p, uint32_t n, uint32_t seed) {
    for (uint32_t i = 0; i < n; i++) p[i] = (uint8_t)(seed * 31u + i * 7u + (i >> 8));
}
static int all_equal(const uint8_t *p, uint32_t n, uint8_t v) {
    for (uint32_t i = 0; i < n; i++)
        if (p[i] != v) return 0;
    return 1;
}

/* Delete every key under prefix (collect first, then delete: no scan-while-writing). */
static int32_t delete_prefix(const char *prefix) {
    for (;;) {
        nx_bytes page;
        int32_t r = nx_db_keys_after_page(prefix, 0, 0, 64, &page);
        if (r < 0) return r;
        nx_iter it;
        nx_slice key;
        uint32_t n = 0;
        if ((r = nx_iter_init_bytes(&it, &page)) < 0) return r;
        while ((r = nx_iter_item(&it, &key)) == 1) {
            if ((r = nx_db_delete_n(key.data, key.len)) < 0) break;
            n++;
        }
        nx_bytes_free(&page);
        if (r < 0) return r;
        if (n == 0) return NX_OK;
    }
}

/* ---------------------------------------------------------------- allocator */

static int32_t tour_alloc(void) {
    uint32_t before = g_checks;
    uint8_t *p = (uint8_t *)nx_malloc(10);
    CHECK(101, p != 0 && (NX_PTR(p) & 15) == 0);
    uint8_t *q = (uint8_t *)nx_malloc_aligned(100, 256);
    CHECK(102, q != 0 && (NX_PTR(q) & 255) == 0);
    memset(p, 0xab, 10);
    fill_pattern(q, 100, 1);
    uint8_t *r = (uint8_t *)nx_realloc(p, 5000);
    CHECK(103, r != 0 && all_equal(r, 10, 0xab) && nx_malloc_usable(r) >= 5000);
    nx_free(r);
    uint8_t *again = (uint8_t *)nx_malloc(6000); /* same size class (8 KiB) as the freed block */
    CHECK(104, again == r);
    nx_free(again);
    nx_free(q);
    uint32_t end_before = mem_end();
    uint8_t *big = (uint8_t *)nx_malloc(3u << 20);
    CHECK(105, big != 0 && mem_end() > end_before && NX_PTR(big) + (3u << 20) <= mem_end());
    big[0] = 1;
    big[(3u << 20) - 1] = 2;
    nx_free(big);
    uint8_t *z = (uint8_t *)nx_calloc(64, 4);
    CHECK(106, z != 0 && all_equal(z, 256, 0));
    nx_free(z);

    uint8_t buf[32];
    for (uint32_t i = 0; i < 32; i++) buf[i] = (uint8_t)i;
    memmove(buf + 4, buf, 16); /* overlapping, forward */
    CHECK(107, buf[4] == 0 && buf[19] == 15 && buf[3] == 3);
    memmove(buf, buf + 4, 16); /* overlapping, backward */
    CHECK(108, buf[0] == 0 && buf[15] == 15);
    memcpy(buf, "hello", 5);
    CHECK(109, memcmp(buf, "hello", 5) == 0 && memcmp("abc", "abd", 3) < 0 && nx_strlen("four") == 4);
    section_ok("allocator and memory helpers", before);
    return 0;
}

/* ------------------------------------------------------------------- log */

static int32_t tour_log(void) {
    uint32_t before = g_checks;
    EXPECT(201, nx_log("sdk_tour: log check"), NX_OK);
    uint8_t *long_msg = (uint8_t *)nx_malloc(9000);
    CHECK(202, long_msg != 0);
    memset(long_msg, ' ', 9000); /* readable prefix, blank padding */
    const char *head = "sdk_tour: 9000-byte message, the SDK sends only its first 8 KiB";
    memcpy(long_msg, head, nx_strlen(head));
    EXPECT(203, nx_log_n(long_msg, 9000), NX_OK);
    nx_free(long_msg);
    /* The contract: host_log_v2 returns ERR_INTERNAL (no trap) for unreadable memory. */
    EXPECT(204, nx_raw_host_log_v2(mem_end() - 4, 100), NX_ERR_INTERNAL);
    section_ok("log", before);
    return 0;
}

/* -------------------------------------------------------------- db basics */

static int32_t tour_db(void) {
    uint32_t before = g_checks;
    nx_bytes v;
    EXPECT(301, nx_db_set_str("tour/a", "alpha"), NX_OK);
    EXPECT(302, nx_db_get("tour/a", &v), NX_OK);
    CHECK(303, bytes_eq_str(&v, "alpha") && v.cap == NX_INITIAL_OUT_CAP);
    nx_bytes_free(&v);
    EXPECT(304, nx_db_exists("tour/a"), 1);
    EXPECT(305, nx_db_get("tour/missing", &v), NX_ERR_NOT_FOUND);
    CHECK(306, v.data == 0 && v.len == 0);
    EXPECT(307, nx_db_exists("tour/missing"), 0);
    EXPECT(308, nx_db_set_str("tour/a", "beta"), NX_OK);
    EXPECT(309, nx_db_get("tour/a", &v), NX_OK);
    CHECK(310, bytes_eq_str(&v, "beta"));
    nx_bytes_free(&v);
    /* empty value */
    EXPECT(311, nx_db_set("tour/empty", "", 0), NX_OK);
    EXPECT(312, nx_db_get("tour/empty", &v), NX_OK);
    EXPECT(313, v.len, 0);
    nx_bytes_free(&v);
    EXPECT(314, nx_db_exists("tour/empty"), 1);
    /* binary key with a NUL byte */
    static const uint8_t bkey[] = {'t', 'o', 'u', 'r', '/', 'b', 0, 1, 0xff};
    EXPECT(315, nx_db_set_n(bkey, sizeof bkey, "bin", 3), NX_OK);
    EXPECT(316, nx_db_get_n(bkey, sizeof bkey, &v), NX_OK);
    CHECK(317, bytes_eq_str(&v, "bin"));
    nx_bytes_free(&v);
    EXPECT(318, nx_db_exists_n(bkey, 6), 0); /* "tour/b" is a different key */
    EXPECT(319, nx_db_delete_n(bkey, sizeof bkey), NX_OK);
    /* delete */
    EXPECT(320, nx_db_delete("tour/a"), NX_OK);
    EXPECT(321, nx_db_get("tour/a", &v), NX_ERR_NOT_FOUND);
    EXPECT(322, nx_db_delete("tour/a"), NX_OK); /* absent: still OK */
    EXPECT(323, nx_db_exists("tour/a"), 0);

    /* The retry path: 5000 bytes do not fit the first 256-byte buffer. */
    uint32_t n = 5000;
    uint8_t *big = (uint8_t *)nx_malloc(n);
    CHECK(324, big != 0);
    fill_pattern(big, n, 5);
    EXPECT(325, nx_db_set("tour/big", big, n), NX_OK);
    EXPECT(326, nx_db_get("tour/big", &v), NX_OK);
    CHECK(327, v.len == n && memcmp(v.data, big, n) == 0 && v.cap == 8192); /* 256 -> ... -> 8192 */
    nx_bytes_free(&v);
    /* Host side of the policy: -2 and nothing written, exact fit works. */
    uint8_t *canary = (uint8_t *)nx_malloc(n);
    CHECK(328, canary != 0);
    memset(canary, 0x5a, n);
    EXPECT(329, nx_raw_db_get(NX__STR("tour/big"), NX_PTR(canary), 256), NX_ERR_BUFFER_TOO_SMALL);
    CHECK(330, all_equal(canary, n, 0x5a));
    EXPECT(331, nx_raw_db_get(NX__STR("tour/big"), NX_PTR(canary), n - 1), NX_ERR_BUFFER_TOO_SMALL);
    CHECK(332, all_equal(canary, n, 0x5a));
    EXPECT(333, nx_raw_db_get(NX__STR("tour/big"), NX_PTR(canary), n), (int32_t)n);
    CHECK(334, memcmp(canary, big, n) == 0);
    EXPECT(335, nx_raw_db_get(NX__STR("tour/big"), NX_PTR(canary), 0), NX_ERR_BUFFER_TOO_SMALL);
    nx_free(canary);
    nx_free(big);
    /* empty value with out_cap 0 fits */
    EXPECT(336, nx_raw_db_get(NX__STR("tour/empty"), 0, 0), 0);

    /* Value limit: exactly 1 MiB is accepted, one byte more is ERR_INTERNAL. */
    uint32_t max = NX_MAX_VALUE_LEN;
    uint8_t *huge = (uint8_t *)nx_malloc(max + 1);
    CHECK(337, huge != 0);
    fill_pattern(huge, max + 1, 9);
    EXPECT(338, nx_db_set("tour/huge", huge, max), NX_OK);
    EXPECT(339, nx_db_get("tour/huge", &v), NX_OK);
    CHECK(340, v.len == max && memcmp(v.data, huge, max) == 0);
    nx_bytes_free(&v);
    EXPECT(341, nx_db_set("tour/huge2", huge, max + 1), NX_ERR_INTERNAL);        /* SDK check */
    EXPECT(342, nx_raw_db_set(NX__STR("tour/huge2"), NX_PTR(huge), max + 1), NX_ERR_INTERNAL); /* host */
    EXPECT(343, nx_db_exists("tour/huge2"), 0);
    EXPECT(344, nx_db_delete("tour/huge"), NX_OK);
    nx_free(huge);

    /* Key limit: 1024 bytes accepted, 1025 rejected by SDK and host. */
    uint8_t key[NX_MAX_KEY_LEN + 1];
    memcpy(key, "tour/k", 6);
    memset(key + 6, 'k', sizeof key - 6);
    EXPECT(345, nx_db_set_n(key, NX_MAX_KEY_LEN, "x", 1), NX_OK);
    EXPECT(346, nx_db_get_n(key, NX_MAX_KEY_LEN, &v), NX_OK);
    CHECK(347, bytes_eq_str(&v, "x"));
    nx_bytes_free(&v);
    EXPECT(348, nx_db_delete_n(key, NX_MAX_KEY_LEN), NX_OK);
    EXPECT(349, nx_db_set_n(key, sizeof key, "x", 1), NX_ERR_INTERNAL);
    EXPECT(350, nx_db_get_n(key, sizeof key, &v), NX_ERR_INTERNAL);
    uint32_t kp = NX_PTR(key), kl = sizeof key;
    EXPECT(351, nx_raw_db_set(kp, kl, NX_PTR("x"), 1), NX_ERR_INTERNAL);
    EXPECT(352, nx_raw_db_get(kp, kl, NX_PTR(key), 16), NX_ERR_INTERNAL);
    EXPECT(353, nx_raw_db_exists(kp, kl), NX_ERR_INTERNAL);
    EXPECT(354, nx_raw_db_delete(kp, kl), NX_ERR_INTERNAL);
    section_ok("db get/set/delete/exists, retry, limits", before);
    return 0;
}

/* ---------------------------------------------------------- reserved keys */

static int32_t tour_reserved(void) {
    uint32_t before = g_checks;
    uint8_t out[64];
    EXPECT(401, nx_db_set_str("__nx/tour", "x"), NX_ERR_RESERVED_KEY);
    nx_bytes v;
    EXPECT(402, nx_db_get("__nx/tour", &v), NX_ERR_RESERVED_KEY);
    EXPECT(403, nx_db_exists("__nx/tour"), NX_ERR_RESERVED_KEY);
    EXPECT(404, nx_db_delete("__nx/tour"), NX_ERR_RESERVED_KEY);
    EXPECT(405, nx_raw_db_scan(NX__STR("__nx/"), 0, 0, NX_PTR(out), sizeof out), NX_ERR_RESERVED_KEY);
    EXPECT(406, nx_raw_db_scan_after(NX__STR("__nx/"), 0, 0, 0, NX_PTR(out), sizeof out), NX_ERR_RESERVED_KEY);
    EXPECT(407, nx_raw_db_keys(NX__STR("__nx/x"), 0, 0, NX_PTR(out), sizeof out), NX_ERR_RESERVED_KEY);
    EXPECT(408, nx_raw_db_keys_after(NX__STR("__nx/"), 0, 0, 0, NX_PTR(out), sizeof out), NX_ERR_RESERVED_KEY);
    /* Reserved keys never show up, whatever the prefix. */
    static const char *prefixes[] = {"", "_", "__nx"};
    for (uint32_t i = 0; i < 3; i++) {
        nx_scan s;
        nx_row row;
        int32_t r;
        nx_scan_init(&s, prefixes[i], NX_KEYS_AFTER, 0);
        while ((r = nx_scan_next(&s, &row)) == 1)
            CHECK(409, !(row.key.len >= 5 && memcmp(row.key.data, NX_RESERVED_PREFIX, 5) == 0));
        nx_scan_free(&s);
        EXPECT(410, r, 0);
    }
    section_ok("reserved __nx/ namespace", before);
    return 0;
}

/* ------------------------------------------------------------------ scans */

#define SCAN_N 25u
#define SCAN_BIG 13u /* this row's value is larger than a 256-byte page */

static void scan_key(uint32_t i, char key[16]) {
    memcpy(key, "tour/scan/", 10);
    key[10] = (char)('0' + i / 10);
    key[11] = (char)('0' + i % 10);
    key[12] = 0;
}
static uint32_t scan_value(uint32_t i, uint8_t *out /* >= 700 */) {
    uint32_t n = i == SCAN_BIG ? 700u : (i * 3u) % 17u + 1u;
    for (uint32_t j = 0; j < n; j++) out[j] = (uint8_t)('a' + (i + j) % 26u);
    return n;
}
/* Row i of the expected scan result? */
static int row_matches(uint32_t i, const nx_slice *key, const nx_slice *value, int keys_only) {
    char k[16];
    uint8_t v[700];
    scan_key(i, k);
    if (!slice_eq_str(*key, k)) return 0;
    if (keys_only) return 1;
    uint32_t n = scan_value(i, v);
    return slice_eq(*value, v, n);
}

/* Paginate with raw calls and a 64 KiB buffer; check every row and the page sizes. */
static int32_t scan_raw_pages(int32_t code, int by_key, int keys_only, uint32_t limit) {
    uint32_t cap = 64u << 10;
    uint8_t *buf = (uint8_t *)nx_malloc(cap);
    CHECK(code, buf != 0);
    uint32_t seen = 0, pages = 0;
    uint64_t offset = 0;
    uint8_t after[16];
    uint32_t after_len = 0;
    const char *prefix = "tour/scan/";
    for (;;) {
        int32_t r;
        if (by_key)
            r = keys_only ? nx_raw_db_keys_after(NX__STR(prefix), NX_PTR(after), after_len, limit, NX_PTR(buf), cap)
                          : nx_raw_db_scan_after(NX__STR(prefix), NX_PTR(after), after_len, limit, NX_PTR(buf), cap);
        else
            r = keys_only ? nx_raw_db_keys(NX__STR(prefix), offset, limit, NX_PTR(buf), cap)
                          : nx_raw_db_scan(NX__STR(prefix), offset, limit, NX_PTR(buf), cap);
        CHECK(code + 1, r >= 4);
        nx_iter it;
        EXPECT(code + 2, nx_iter_init(&it, buf, (uint32_t)r), NX_OK);
        uint32_t expect_rows = SCAN_N - seen;
        if (limit && expect_rows > limit) expect_rows = limit;
        EXPECT(code + 3, it.count, expect_rows); /* 64 KiB holds every page */
        pages++;
        if (it.count == 0) {
            EXPECT(code + 4, r, 4);
            break;
        }
        nx_row row;
        int32_t k;
        while ((k = keys_only ? nx_iter_item(&it, &row.key) : nx_iter_row(&it, &row)) == 1) {
            CHECK(code + 5, seen < SCAN_N && row_matches(seen, &row.key, &row.value, keys_only));
            memcpy(after, row.key.data, row.key.len);
            after_len = row.key.len;
            seen++;
            offset++;
        }
        EXPECT(code + 6, k, 0);
    }
    EXPECT(code + 7, seen, SCAN_N);
    if (limit) EXPECT(code + 8, pages, (SCAN_N + limit - 1) / limit + 1);
    nx_free(buf);
    return 0;
}

/* Iterate with the nx_scan cursor and check every row. */
static int32_t scan_cursor(int32_t code, nx_scan_mode mode, uint32_t limit, uint32_t *pages) {
    nx_scan s;
    nx_row row;
    int32_t r;
    uint32_t seen = 0;
    int keys_only = mode == NX_KEYS_AFTER || mode == NX_KEYS_OFFSET;
    nx_scan_init(&s, "tour/scan/", mode, limit);
    while ((r = nx_scan_next(&s, &row)) == 1) {
        CHECK(code, seen < SCAN_N && row_matches(seen, &row.key, &row.value, keys_only));
        seen++;
    }
    *pages = s.pages;
    nx_scan_free(&s);
    EXPECT(code + 1, r, 0);
    EXPECT(code + 2, seen, SCAN_N);
    return 0;
}

static int32_t tour_scan(void) {
    uint32_t before = g_checks;
    uint8_t v[700];
    char k[16];
    for (uint32_t i = 0; i < SCAN_N; i++) {
        scan_key(i, k);
        EXPECT(5001, nx_db_set(k, v, scan_value(i, v)), NX_OK);
    }
    /* Neighbours that must not appear under "tour/scan/". */
    EXPECT(5002, nx_db_set_str("tour/scan", "no"), NX_OK);
    EXPECT(5003, nx_db_set_str("tour/scan0", "no"), NX_OK);
    EXPECT(5004, nx_db_set_str("tour/scaa", "no"), NX_OK);

    /* Raw pagination, both cursor styles, rows and keys, with and without a limit. */
    int32_t rc;
    if ((rc = scan_raw_pages(5010, 0, 0, 7))) return rc; /* db_scan, offset cursor */
    if ((rc = scan_raw_pages(5020, 1, 0, 7))) return rc; /* db_scan_after, key cursor */
    if ((rc = scan_raw_pages(5030, 0, 1, 6))) return rc; /* db_keys */
    if ((rc = scan_raw_pages(5040, 1, 1, 6))) return rc; /* db_keys_after */
    if ((rc = scan_raw_pages(5050, 1, 0, 0))) return rc; /* limit 0: one page of all rows */
    if ((rc = scan_raw_pages(5060, 0, 1, 0))) return rc;

    /* The buffer bounds a page: 64 bytes hold a few rows, and ERR_BUFFER_TOO_SMALL comes
     * only when not even the first row fits (row 13 is 700 bytes). */
    uint8_t small[64], after[16];
    uint32_t after_len = 0, seen = 0;
    int32_t r;
    for (;;) {
        memset(small, 0xee, sizeof small);
        r = nx_raw_db_scan_after(NX__STR("tour/scan/"), NX_PTR(after), after_len, 0, NX_PTR(small), sizeof small);
        if (r < 0) break;
        nx_iter it;
        EXPECT(5070, nx_iter_init(&it, small, (uint32_t)r), NX_OK);
        CHECK(5071, it.count >= 1 && it.count < SCAN_N); /* partial page, never empty here */
        CHECK(5072, all_equal(small + r, sizeof small - (uint32_t)r, 0xee)); /* nothing past r */
        nx_row row;
        while (nx_iter_row(&it, &row) == 1) {
            CHECK(5073, row_matches(seen, &row.key, &row.value, 0));
            memcpy(after, row.key.data, row.key.len);
            after_len = row.key.len;
            seen++;
        }
    }
    EXPECT(5074, r, NX_ERR_BUFFER_TOO_SMALL);
    EXPECT(5075, seen, SCAN_BIG);
    CHECK(5076, all_equal(small, sizeof small, 0xee));
    /* Offset cursor likewise: 64 bytes at offset 13 -> -2, at offset 14 -> rows. */
    EXPECT(5077, nx_raw_db_scan(NX__STR("tour/scan/"), SCAN_BIG, 0, NX_PTR(small), sizeof small), NX_ERR_BUFFER_TOO_SMALL);
    CHECK(5078, nx_raw_db_scan(NX__STR("tour/scan/"), SCAN_BIG + 1, 0, NX_PTR(small), sizeof small) > 4);
    /* keys are small: the same 64 bytes list keys past row 13 */
    CHECK(5079, nx_raw_db_keys(NX__STR("tour/scan/"), SCAN_BIG, 1, NX_PTR(small), sizeof small) == 4 + 4 + 12);

    /* Key cursor edge cases. */
    uint8_t buf[256];
    EXPECT(5080, nx_raw_db_scan_after(NX__STR("tour/scan/"), NX__STR("tour/other"), 0, NX_PTR(buf), sizeof buf),
           NX_ERR_INTERNAL); /* start_after not under prefix */
    EXPECT(5081, nx_raw_db_keys_after(NX__STR("tour/scan/"), NX__STR("tour/scan/24"), 0, NX_PTR(buf), sizeof buf), 4);
    EXPECT(5082, nx_le32(buf), 0); /* after the last key: empty page */
    CHECK(5083, nx_raw_db_keys_after(NX__STR("tour/scan/"), NX__STR("tour/scan/07x"), 1, NX_PTR(buf), sizeof buf) == 20);
    CHECK(5084, nx_le32(buf) == 1 && nx_le32(buf + 4) == 12 && memcmp(buf + 8, "tour/scan/08", 12) == 0);
    EXPECT(5085, nx_raw_db_keys(NX__STR("tour/scan/"), 1000, 0, NX_PTR(buf), sizeof buf), 4); /* offset past end */
    EXPECT(5086, nx_raw_db_scan(NX__STR("tour/nothing-here/"), 0, 0, NX_PTR(buf), sizeof buf), 4);
    EXPECT(5087, nx_le32(buf), 0);

    /* The cursor API: every mode; the 256-byte first page cannot hold row 13, so the
     * retry runs inside the cursor. */
    uint32_t pages;
    if ((rc = scan_cursor(5090, NX_SCAN_AFTER, 5, &pages))) return rc;
    CHECK(5093, pages >= 6); /* 5 full pages, buffer-bounded ones, the empty one */
    if ((rc = scan_cursor(5094, NX_SCAN_OFFSET, 5, &pages))) return rc;
    if ((rc = scan_cursor(5097, NX_KEYS_AFTER, 0, &pages))) return rc;
    if ((rc = scan_cursor(5100, NX_KEYS_OFFSET, 4, &pages))) return rc;
    if ((rc = scan_cursor(5104, NX_SCAN_AFTER, 0, &pages))) return rc;
    CHECK(5107, pages >= 2); /* buffer-bounded pages */

    /* One-page wrappers. */
    nx_bytes page;
    nx_iter it;
    nx_row row;
    EXPECT(5110, nx_db_scan_page("tour/scan/", 10, 2, &page), NX_OK);
    EXPECT(5111, nx_iter_init_bytes(&it, &page), NX_OK);
    CHECK(5112, it.count == 2 && nx_iter_row(&it, &row) == 1 && row_matches(10, &row.key, &row.value, 0));
    nx_bytes_free(&page);
    EXPECT(5113, nx_db_scan_after_page("tour/scan/", "tour/scan/12", 12, 1, &page), NX_OK);
    EXPECT(5114, nx_iter_init_bytes(&it, &page), NX_OK);
    CHECK(5115, it.count == 1 && nx_iter_row(&it, &row) == 1 && row_matches(SCAN_BIG, &row.key, &row.value, 0));
    CHECK(5116, page.cap >= 1024); /* the 700-byte row needed the retry */
    nx_bytes_free(&page);
    EXPECT(5117, nx_db_keys_page("tour/scan/", 24, 10, &page), NX_OK);
    EXPECT(5118, nx_iter_init_bytes(&it, &page), NX_OK);
    CHECK(5119, it.count == 1 && nx_iter_item(&it, &row.key) == 1 && row_matches(24, &row.key, 0, 1));
    nx_bytes_free(&page);
    EXPECT(5120, nx_db_keys_after_page("tour/scan/", 0, 0, 3, &page), NX_OK);
    EXPECT(5121, page.len, 4 + 3 * (4 + 12)); /* db_keys encoding: u32 count, {u32 len, key}* */
    nx_bytes_free(&page);

    /* Deleted rows disappear from scans. */
    EXPECT(5122, nx_db_delete("tour/scan/03"), NX_OK);
    EXPECT(5123, nx_raw_db_keys(NX__STR("tour/scan/"), 0, 5, NX_PTR(buf), sizeof buf), 4 + 5 * 16);
    CHECK(5124, memcmp(buf + 4 + 3 * 16 + 4, "tour/scan/04", 12) == 0);
    section_ok("scans: db_scan, db_scan_after, db_keys, db_keys_after, nx_scan cursor", before);
    return 0;
}

/* ------------------------------------------------------------------- time */

static int32_t tour_time(void) {
    uint32_t before = g_checks;
    uint64_t now = nx_time_now();
    CHECK(601, now > 1600000000000ull && now < 10000000000000ull); /* 2020 .. 2286, in ms */
    uint64_t m1 = nx_time_monotonic(), m2 = nx_time_monotonic();
    CHECK(602, m2 >= m1);
    uint64_t now2 = nx_time_now();
    CHECK(603, now2 + 1000 >= now); /* no big backwards jump within one run */
    section_ok("time", before);
    return 0;
}

/* ----------------------------------------------------------------- crypto */

static int hex_eq(const uint8_t *d, const char *hex) {
    nx_sb sb;
    nx_sb_init(&sb);
    nx_sb_hex(&sb, d, 32);
    return nx_bytes_eq_str(sb.buf, sb.len, hex);
}

static int32_t tour_crypto(void) {
    uint32_t before = g_checks;
    uint8_t d[32];
    EXPECT(701, nx_sha256("abc", 3, d), NX_OK);
    CHECK(702, hex_eq(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    EXPECT(703, nx_sha256("", 0, d), NX_OK);
    CHECK(704, hex_eq(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    EXPECT(705, nx_blake3("abc", 3, d), NX_OK);
    CHECK(706, hex_eq(d, "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85"));
    EXPECT(707, nx_blake3("", 0, d), NX_OK);
    CHECK(708, hex_eq(d, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"));
    memset(d, 0x77, sizeof d);
    EXPECT(709, nx_raw_hash_sha256(NX_PTR("abc"), 3, NX_PTR(d), 31), NX_ERR_BUFFER_TOO_SMALL);
    EXPECT(710, nx_raw_hash_blake3(NX_PTR("abc"), 3, NX_PTR(d), 31), NX_ERR_BUFFER_TOO_SMALL);
    CHECK(711, all_equal(d, sizeof d, 0x77));

    uint8_t a[32], b[32];
    EXPECT(712, nx_random_bytes(a, sizeof a), NX_OK);
    EXPECT(713, nx_random_bytes(b, sizeof b), NX_OK);
    CHECK(714, memcmp(a, b, sizeof a) != 0 && !all_equal(a, sizeof a, 0));
    EXPECT(715, nx_raw_random_bytes(NX_PTR(a), 0), 0);
    uint8_t *mib = (uint8_t *)nx_malloc(NX_MAX_RANDOM_LEN + 1);
    CHECK(716, mib != 0);
    memset(mib, 0, NX_MAX_RANDOM_LEN + 1);
    EXPECT(717, nx_random_bytes(mib, NX_MAX_RANDOM_LEN), NX_OK); /* exactly 1 MiB */
    CHECK(718, mib[NX_MAX_RANDOM_LEN] == 0 && !all_equal(mib + NX_MAX_RANDOM_LEN - 64, 64, 0));
    EXPECT(719, nx_random_bytes(mib, NX_MAX_RANDOM_LEN + 1), NX_ERR_INTERNAL);                /* SDK */
    EXPECT(720, nx_raw_random_bytes(NX_PTR(mib), NX_MAX_RANDOM_LEN + 1), NX_ERR_INTERNAL);    /* host */
    nx_free(mib);
    section_ok("crypto: sha256, blake3, random_bytes", before);
    return 0;
}

/* ----------------------------------------------------------------- system */

static int32_t tour_system(void) {
    uint32_t before = g_checks;
    nx_bytes b;
    nx_sb sb;
    EXPECT(801, nx_module_id(&b), NX_OK);
    CHECK(802, b.len > 0 && !(b.len >= 5 && memcmp(b.data + b.len - 5, ".wasm", 5) == 0));
    nx_sb_init(&sb);
    nx_sb_str(&sb, "module_id = ");
    nx_sb_bytes(&sb, b.data, b.len);
    nx_sb_log(&sb);
    nx_bytes_free(&b);

    EXPECT(803, nx_host_capabilities(&b), NX_OK);
    uint32_t start = 0;
    for (uint32_t i = 0; i <= b.len; i++) {
        if (i == b.len || b.data[i] == '\n') {
            if (i > start) {
                nx_sb_init(&sb);
                nx_sb_str(&sb, "capability: ");
                nx_sb_bytes(&sb, b.data + start, i - start);
                nx_sb_log(&sb);
            }
            start = i + 1;
        }
    }
    nx_bytes_free(&b);
    EXPECT(804, nx_has_capability("surely-not-a-capability"), 0);

    /* Only ^(NX_|NUMAX_)[A-Z0-9_]*$ is visible. */
    EXPECT(805, nx_env_get("PATH", &b), NX_ERR_NOT_FOUND);
    EXPECT(806, nx_env_get("HOME", &b), NX_ERR_NOT_FOUND);
    EXPECT(807, nx_env_get("NX_tour", &b), NX_ERR_NOT_FOUND);
    EXPECT(808, nx_env_get("NX_SDK_TOUR_SURELY_UNSET_9", &b), NX_ERR_NOT_FOUND);
    int32_t r = nx_env_get("NX_TOUR", &b);
    CHECK(809, r == NX_OK || r == NX_ERR_NOT_FOUND);
    if (r == NX_OK) {
        nx_sb_init(&sb);
        nx_sb_str(&sb, "env NX_TOUR = ");
        nx_sb_bytes(&sb, b.data, b.len);
        nx_sb_log(&sb);
        nx_bytes_free(&b);
    }

    EXPECT(810, nx_event_emit("tour.event:ok-1_x", "payload", 7), NX_OK);
    EXPECT(811, nx_event_emit("tour", 0, 0), NX_OK);
    EXPECT(812, nx_event_emit("", "p", 1), NX_ERR_INTERNAL);
    EXPECT(813, nx_event_emit("bad name", "p", 1), NX_ERR_INTERNAL);
    EXPECT(814, nx_event_emit("caf\xc3\xa9", "p", 1), NX_ERR_INTERNAL);
    EXPECT(815, nx_event_emit("a/b", "p", 1), NX_ERR_INTERNAL);
    section_ok("system: module_id, host_capabilities, env_get, event_emit", before);
    return 0;
}

/* ------------------------------------------------------------- crdt + net */

static int32_t crdt_all_disabled(void) {
    const int32_t D = NX_ERR_SYNC_DISABLED;
    uint64_t u;
    int64_t s;
    nx_bytes b;
    nx_rga_id id = {{1, 2, 3}, 3}, out;
    EXPECT(901, nx_gcounter_value("tour/g", &u), D);
    EXPECT(902, nx_pncounter_inc("tour/p", 1), D);
    EXPECT(903, nx_pncounter_dec("tour/p", 1), D);
    EXPECT(904, nx_pncounter_value("tour/p", &s), D);
    EXPECT(905, nx_lww_set("tour/l", "v", 1), D);
    EXPECT(906, nx_lww_get("tour/l", &b), D);
    EXPECT(907, nx_lww_map_set("tour/m", "f", "v", 1), D);
    EXPECT(908, nx_lww_map_remove("tour/m", "f"), D);
    EXPECT(909, nx_lww_map_get("tour/m", "f", &b), D);
    EXPECT(910, nx_lww_map_contains("tour/m", "f"), D);
    EXPECT(911, nx_lww_map_entries("tour/m", &b), D);
    EXPECT(912, nx_orset_add("tour/o", "e"), D);
    EXPECT(913, nx_orset_remove("tour/o", "e"), D);
    EXPECT(914, nx_orset_contains("tour/o", "e"), D);
    EXPECT(915, nx_orset_elements("tour/o", &b), D);
    EXPECT(916, nx_rga_insert("tour/r", 0, "v", 1, &out), D);
    EXPECT(917, nx_rga_insert("tour/r", &id, "v", 1, &out), D);
    EXPECT(918, nx_rga_delete("tour/r", &id), D);
    EXPECT(919, nx_rga_values("tour/r", &b), D);
    EXPECT(995, nx_rga_entries("tour/r", &b), D);
    EXPECT(951, nx_net_node_id(&b), D);
    EXPECT(952, nx_net_peers(&b), D);
    return 0;
}

/* Does items (u32 count; {u32 len, bytes}*) contain `a` immediately followed by `b`? */
static int32_t items_have_pair(const nx_bytes *items, const nx_slice *a, const nx_slice *b) {
    nx_iter it;
    nx_slice cur, prev = {0, 0};
    int32_t r;
    if ((r = nx_iter_init_bytes(&it, items)) < 0) return r;
    int found = 0;
    while ((r = nx_iter_item(&it, &cur)) == 1) {
        if (prev.data && slice_eq(prev, a->data, a->len) && slice_eq(cur, b->data, b->len)) found = 1;
        prev = cur;
    }
    return r < 0 ? r : found;
}
static int32_t items_have(const nx_bytes *items, const void *data, uint32_t len) {
    nx_iter it;
    nx_slice cur;
    int32_t r;
    if ((r = nx_iter_init_bytes(&it, items)) < 0) return r;
    int found = 0;
    while ((r = nx_iter_item(&it, &cur)) == 1)
        if (slice_eq(cur, data, len)) found = 1;
    return r < 0 ? r : found;
}

/* Position (1-based) of the rga entry holding value in entries, its id copied to *id;
 * 0 when absent, negative on a decoding error. */
static int32_t find_rga_entry(const nx_bytes *entries, const void *value, uint32_t len, nx_rga_id *id) {
    nx_iter it;
    nx_rga_entry e;
    int32_t r, position = 0;
    if ((r = nx_iter_init_bytes(&it, entries)) < 0) return r;
    for (int32_t i = 1; (r = nx_iter_rga_entry(&it, &e)) == 1; i++) {
        if (!position && slice_eq(e.value, value, len)) {
            if ((r = nx_rga_id_from_slice(e.id, id)) < 0) return r;
            position = i;
        }
    }
    return r < 0 ? r : position;
}
static int rga_id_eq(const nx_rga_id *a, const nx_rga_id *b) {
    return a->len == b->len && memcmp(a->bytes, b->bytes, a->len) == 0;
}

static int32_t crdt_functional(void) {
    uint64_t g0, g1;
    int64_t p0, p1;
    nx_bytes b;
    /* The probe already added 1 to tour/g. */
    EXPECT(920, nx_gcounter_value("tour/g", &g0), NX_OK);
    EXPECT(921, nx_gcounter_inc("tour/g", 5), NX_OK);
    EXPECT(922, nx_gcounter_value("tour/g", &g1), NX_OK);
    EXPECT(923, g1 - g0, 5);
    EXPECT(924, nx_pncounter_value("tour/p", &p0), NX_OK);
    EXPECT(925, nx_pncounter_inc("tour/p", 10), NX_OK);
    EXPECT(926, nx_pncounter_dec("tour/p", 13), NX_OK);
    EXPECT(927, nx_pncounter_value("tour/p", &p1), NX_OK);
    EXPECT(928, p1 - p0, -3);
    if (p0 == 0) CHECK(929, p1 < 0); /* signed encoding */

    EXPECT(930, nx_lww_set("tour/l", "online", 6), NX_OK);
    EXPECT(931, nx_lww_set("tour/l", "offline", 7), NX_OK);
    EXPECT(932, nx_lww_get("tour/l", &b), NX_OK);
    CHECK(933, bytes_eq_str(&b, "offline"));
    nx_bytes_free(&b);
    EXPECT(934, nx_lww_get("tour/l-never-written", &b), NX_ERR_NOT_FOUND);
    uint8_t big[3000];
    fill_pattern(big, sizeof big, 3);
    EXPECT(935, nx_lww_set("tour/l-big", big, sizeof big), NX_OK);
    EXPECT(936, nx_lww_get("tour/l-big", &b), NX_OK); /* retry path */
    CHECK(937, b.len == sizeof big && memcmp(b.data, big, sizeof big) == 0);
    nx_bytes_free(&b);

    EXPECT(938, nx_lww_map_set("tour/m", "theme", "dark", 4), NX_OK);
    EXPECT(939, nx_lww_map_set("tour/m", "region", "eu", 2), NX_OK);
    EXPECT(940, nx_lww_map_get("tour/m", "theme", &b), NX_OK);
    CHECK(941, bytes_eq_str(&b, "dark"));
    nx_bytes_free(&b);
    EXPECT(942, nx_lww_map_contains("tour/m", "region"), 1);
    EXPECT(943, nx_lww_map_remove("tour/m", "region"), NX_OK);
    EXPECT(944, nx_lww_map_contains("tour/m", "region"), 0);
    EXPECT(945, nx_lww_map_get("tour/m", "region", &b), NX_ERR_NOT_FOUND);
    EXPECT(946, nx_lww_map_entries("tour/m", &b), NX_OK);
    {
        nx_iter it;
        nx_entry e;
        int32_t r;
        int theme = 0, region = 0;
        EXPECT(947, nx_iter_init_bytes(&it, &b), NX_OK);
        while ((r = nx_iter_entry(&it, &e)) == 1) {
            if (slice_eq_str(e.field, "theme")) theme += slice_eq_str(e.value, "dark");
            if (slice_eq_str(e.field, "region")) region++;
        }
        EXPECT(948, r, 0);
        CHECK(949, theme == 1 && region == 0);
        nx_bytes_free(&b);
    }

    EXPECT(960, nx_orset_add("tour/o", "blue"), NX_OK);
    EXPECT(961, nx_orset_add("tour/o", "red"), NX_OK);
    EXPECT(962, nx_orset_contains("tour/o", "blue"), 1);
    EXPECT(963, nx_orset_elements("tour/o", &b), NX_OK);
    CHECK(964, items_have(&b, "blue", 4) == 1 && items_have(&b, "red", 3) == 1);
    nx_bytes_free(&b);
    EXPECT(965, nx_orset_remove("tour/o", "blue"), NX_OK);
    EXPECT(966, nx_orset_contains("tour/o", "blue"), 0);
    EXPECT(967, nx_orset_remove("tour/o", "never-added"), NX_OK); /* no-op */

    /* RGA: values tagged with random bytes so earlier runs cannot interfere. */
    uint8_t tag[8];
    EXPECT(970, nx_random_bytes(tag, sizeof tag), NX_OK);
    uint8_t first[14], reply[14];
    memcpy(first, "first:", 6);
    memcpy(first + 6, tag, 8);
    memcpy(reply, "reply:", 6);
    memcpy(reply + 6, tag, 8);
    nx_rga_id id1, id2;
    EXPECT(971, nx_rga_insert("tour/r", 0, first, sizeof first, &id1), NX_OK);
    CHECK(972, id1.len > 0 && id1.len <= 16);
    EXPECT(973, nx_rga_insert("tour/r", &id1, reply, sizeof reply, &id2), NX_OK);
    CHECK(974, id2.len > 0 && !(id1.len == id2.len && memcmp(id1.bytes, id2.bytes, id1.len) == 0));
    EXPECT(975, nx_rga_values("tour/r", &b), NX_OK);
    nx_slice sf = {first, sizeof first}, sr = {reply, sizeof reply};
    EXPECT(976, items_have_pair(&b, &sf, &sr), 1);
    nx_iter values_it;
    EXPECT(981, nx_iter_init_bytes(&values_it, &b), NX_OK);
    nx_bytes_free(&b);
    /* rga_entries (nx extension): the same elements with the ids the inserts returned, in the
     * same order; ids taken from it work as insert parents and delete targets. */
    nx_rga_id e1, e2, e3, id3;
    EXPECT(982, nx_rga_entries("tour/r", &b), NX_OK);
    {
        nx_iter it;
        EXPECT(983, nx_iter_init_bytes(&it, &b), NX_OK);
        EXPECT(984, it.count, values_it.count);
    }
    int32_t at1 = find_rga_entry(&b, first, sizeof first, &e1);
    CHECK(985, at1 > 0 && rga_id_eq(&e1, &id1));
    EXPECT(986, find_rga_entry(&b, reply, sizeof reply, &e2), at1 + 1);
    CHECK(987, rga_id_eq(&e2, &id2));
    nx_bytes_free(&b);
    uint8_t third[14];
    memcpy(third, "third:", 6);
    memcpy(third + 6, tag, 8);
    EXPECT(988, nx_rga_insert("tour/r", &e2, third, sizeof third, &id3), NX_OK);
    EXPECT(989, nx_rga_values("tour/r", &b), NX_OK);
    nx_slice st = {third, sizeof third};
    EXPECT(990, items_have_pair(&b, &sr, &st), 1);
    nx_bytes_free(&b);
    EXPECT(991, nx_rga_entries("tour/r", &b), NX_OK);
    CHECK(992, find_rga_entry(&b, third, sizeof third, &e3) > 0 && rga_id_eq(&e3, &id3));
    nx_bytes_free(&b);
    EXPECT(993, nx_rga_delete("tour/r", &e3), NX_OK);
    EXPECT(994, nx_rga_entries("tour/r", &b), NX_OK);
    EXPECT(996, find_rga_entry(&b, third, sizeof third, &e3), 0);
    nx_bytes_free(&b);
    EXPECT(977, nx_rga_delete("tour/r", &id1), NX_OK);
    EXPECT(978, nx_rga_values("tour/r", &b), NX_OK);
    CHECK(979, items_have(&b, first, sizeof first) == 0 && items_have(&b, reply, sizeof reply) == 1);
    nx_bytes_free(&b);
    EXPECT(980, nx_rga_delete("tour/r", &id2), NX_OK);

    EXPECT(953, nx_net_node_id(&b), NX_OK);
    CHECK(954, b.len > 0);
    nx_bytes_free(&b);
    EXPECT(955, nx_net_peers(&b), NX_OK);
    {
        nx_iter it;
        nx_peer peer;
        int32_t r;
        EXPECT(956, nx_iter_init_bytes(&it, &b), NX_OK);
        while ((r = nx_iter_peer(&it, &peer)) == 1) CHECK(957, peer.addr.len > 0);
        EXPECT(958, r, 0);
        nx_bytes_free(&b);
    }
    return 0;
}

static int32_t tour_crdt(void) {
    uint32_t before = g_checks;
    int32_t probe = nx_gcounter_inc("tour/g", 1);
    CHECK(900, probe == NX_OK || probe == NX_ERR_SYNC_DISABLED);
    int32_t rc = probe == NX_OK ? crdt_functional() : crdt_all_disabled();
    if (rc) return rc;
    section_ok(probe == NX_OK ? "crdt + net with sync enabled" : "crdt + net return ERR_SYNC_DISABLED (no sync)",
               before);
    return 0;
}

/* --------------------------------------------------------------- decoders */

static uint32_t put32(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
    return 4;
}
static uint32_t put(uint8_t *p, const char *s) {
    uint32_t n = nx_strlen(s);
    memcpy(p, s, n);
    return n;
}

/* Synthetic buffers in every encoding: decodes, truncation and trailing bytes. */
static int32_t tour_decoders(void) {
    uint32_t before = g_checks;
    uint8_t buf[128];
    uint32_t n = 0;
    nx_iter it;
    /* lww_map entries: {u32 flen, field, u32 vlen, value} */
    n += put32(buf + n, 2);
    n += put32(buf + n, 5); n += put(buf + n, "theme");
    n += put32(buf + n, 4); n += put(buf + n, "dark");
    n += put32(buf + n, 1); n += put(buf + n, "x");
    n += put32(buf + n, 0);
    nx_entry e;
    EXPECT(1001, nx_iter_init(&it, buf, n), NX_OK);
    CHECK(1002, nx_iter_entry(&it, &e) == 1 && slice_eq_str(e.field, "theme") && slice_eq_str(e.value, "dark"));
    CHECK(1003, nx_iter_entry(&it, &e) == 1 && slice_eq_str(e.field, "x") && e.value.len == 0);
    EXPECT(1004, nx_iter_entry(&it, &e), 0);
    nx_iter_init(&it, buf, n - 1); /* truncated */
    nx_iter_entry(&it, &e);
    EXPECT(1005, nx_iter_entry(&it, &e), NX_ERR_MALFORMED);
    buf[n] = 0;
    nx_iter_init(&it, buf, n + 1); /* trailing byte */
    nx_iter_entry(&it, &e);
    nx_iter_entry(&it, &e);
    EXPECT(1006, nx_iter_entry(&it, &e), NX_ERR_MALFORMED);

    /* net_peers: {u32 addr_len, u32 node_id_len, addr, node_id} */
    n = 0;
    n += put32(buf + n, 1);
    n += put32(buf + n, 14);
    n += put32(buf + n, 3);
    n += put(buf + n, "127.0.0.1:7000");
    n += put(buf + n, "\x01\x02\x03");
    nx_peer peer;
    EXPECT(1007, nx_iter_init(&it, buf, n), NX_OK);
    CHECK(1008, nx_iter_peer(&it, &peer) == 1 && slice_eq_str(peer.addr, "127.0.0.1:7000") &&
                    slice_eq_str(peer.node_id, "\x01\x02\x03"));
    EXPECT(1009, nx_iter_peer(&it, &peer), 0);

    /* items (keys / orset / rga) and rows; count larger than the data */
    n = 0;
    n += put32(buf + n, 3);
    n += put32(buf + n, 1); n += put(buf + n, "a");
    n += put32(buf + n, 0);
    nx_slice item;
    EXPECT(1010, nx_iter_init(&it, buf, n), NX_OK);
    CHECK(1011, nx_iter_item(&it, &item) == 1 && slice_eq_str(item, "a"));
    CHECK(1012, nx_iter_item(&it, &item) == 1 && item.len == 0);
    EXPECT(1013, nx_iter_item(&it, &item), NX_ERR_MALFORMED);
    n = 0;
    n += put32(buf + n, 1);
    n += put32(buf + n, 1);
    n += put32(buf + n, 2);
    n += put(buf + n, "kvv");
    nx_row row;
    EXPECT(1014, nx_iter_init(&it, buf, n), NX_OK);
    CHECK(1015, nx_iter_row(&it, &row) == 1 && slice_eq_str(row.key, "k") && slice_eq_str(row.value, "vv"));
    EXPECT(1016, nx_iter_row(&it, &row), 0);
    put32(buf + 8, 0x7fffffff); /* value length far beyond the buffer */
    nx_iter_init(&it, buf, n);
    EXPECT(1017, nx_iter_row(&it, &row), NX_ERR_MALFORMED);
    EXPECT(1018, nx_iter_init(&it, buf, 3), NX_ERR_MALFORMED);

    /* counters: 8-byte little-endian */
    uint8_t le[8] = {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    EXPECT(1019, (int64_t)nx_le64(le), -2);
    le[7] = 0x01;
    CHECK(1020, nx_le64(le) == 0x01fffffffffffffeull);
    uint64_t parsed;
    CHECK(1021, nx_parse_u64("18446744073709551615", 20, &parsed) && parsed == UINT64_MAX);
    CHECK(1022, !nx_parse_u64("18446744073709551616", 20, &parsed) && !nx_parse_u64("1x", 2, &parsed) &&
                    !nx_parse_u64("", 0, &parsed));

    /* rga entries (nx extension): {u32 id_len, id, u32 vlen, value} */
    n = 0;
    n += put32(buf + n, 1);
    n += put32(buf + n, 3); n += put(buf + n, "\x01\x02\x03");
    n += put32(buf + n, 2); n += put(buf + n, "hi");
    nx_rga_entry re;
    nx_rga_id rid;
    EXPECT(1023, nx_iter_init(&it, buf, n), NX_OK);
    CHECK(1024, nx_iter_rga_entry(&it, &re) == 1 && slice_eq_str(re.id, "\x01\x02\x03") && slice_eq_str(re.value, "hi"));
    EXPECT(1025, nx_iter_rga_entry(&it, &re), 0);
    CHECK(1026, nx_rga_id_from_slice(re.id, &rid) == NX_OK && rid.len == 3 && rid.bytes[0] == 1 && rid.bytes[2] == 3);
    re.id.len = 0;
    EXPECT(1027, nx_rga_id_from_slice(re.id, &rid), NX_ERR_MALFORMED);
    re.id.len = NX_RGA_ID_CAP + 1;
    EXPECT(1028, nx_rga_id_from_slice(re.id, &rid), NX_ERR_MALFORMED);
    nx_iter_init(&it, buf, n - 1); /* truncated value */
    EXPECT(1029, nx_iter_rga_entry(&it, &re), NX_ERR_MALFORMED);
    section_ok("decoders", before);
    return 0;
}

/* -------------------------------------------------------------------- run */

int32_t run(void) {
    nx_log("sdk_tour: start");
    int32_t r = delete_prefix("tour/");
    if (r < 0) return fail(1, "delete_prefix(tour/) before the tour", __LINE__, 1, r, 0);
    RUN(tour_alloc);
    RUN(tour_log);
    RUN(tour_db);
    RUN(tour_reserved);
    RUN(tour_scan);
    RUN(tour_time);
    RUN(tour_crypto);
    RUN(tour_system);
    RUN(tour_crdt);
    RUN(tour_decoders);
    r = delete_prefix("tour/");
    if (r < 0) return fail(2, "delete_prefix(tour/) after the tour", __LINE__, 1, r, 0);
    nx_bytes left;
    r = nx_db_keys_after_page("tour/", 0, 0, 0, &left);
    if (r != NX_OK || left.len != 4) return fail(3, "keys left under tour/", __LINE__, 1, r, 0);
    nx_bytes_free(&left);
    nx_sb sb;
    nx_sb_init(&sb);
    nx_sb_str(&sb, "sdk_tour: all ");
    nx_sb_u64(&sb, g_checks);
    nx_sb_str(&sb, " checks passed");
    nx_sb_log(&sb);
    return 0;
}

void abort_check(void) { nx_abort("sdk_tour: abort_check called"); }

/* db_get with a key that runs past the end of memory: the host must trap. */
int32_t oob_check(void) {
    uint8_t out[8];
    return nx_raw_db_get(mem_end() - 2, 16, NX_PTR(out), sizeof out);
}
