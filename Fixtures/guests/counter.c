/* counter.c - a persistent counter: reads key "counter" (decimal text, absent = 0),
 * adds one, writes it back and logs "counter = N". Each run against the same datastore
 * increases it by one. A value that is not a decimal number traps rather than being
 * silently overwritten. */
#include "../sdk/nx.h"

static void fail(const char *what, int32_t code) {
    nx_sb sb;
    nx_sb_init(&sb);
    nx_sb_str(&sb, "counter: ");
    nx_sb_str(&sb, what);
    nx_sb_str(&sb, " (");
    nx_sb_i64(&sb, code);
    nx_sb_str(&sb, ")");
    nx_abort_n(sb.buf, sb.len);
}

void run(void) {
    uint64_t n = 0;
    nx_bytes stored;
    int32_t r = nx_db_get("counter", &stored);
    if (r == NX_OK) {
        int valid = nx_parse_u64(stored.data, stored.len, &n);
        nx_bytes_free(&stored);
        if (!valid) fail("stored value is not a decimal number", NX_ERR_INTERNAL);
        if (n == UINT64_MAX) fail("counter would overflow", NX_ERR_INTERNAL);
    } else if (r != NX_ERR_NOT_FOUND) {
        fail("db_get failed", r);
    }

    n += 1;
    char text[20];
    uint32_t len = nx_fmt_u64(text, n);
    r = nx_db_set("counter", text, len);
    if (r != NX_OK) fail("db_set failed", r);

    nx_sb sb;
    nx_sb_init(&sb);
    nx_sb_str(&sb, "counter = ");
    nx_sb_bytes(&sb, text, len);
    nx_sb_log(&sb);
}
