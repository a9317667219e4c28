/* hello.c - the contract's "Full Example" in C.
 * Logs "Starting module...", sets "counter" to "0", reads it back and logs "Counter: 0",
 * deletes it and logs "Module completed!". An SDK error traps via nx_abort. */
#include "../sdk/nx.h"

static void must(int32_t r, const char *what) {
    if (r == NX_OK) return;
    nx_sb sb;
    nx_sb_init(&sb);
    nx_sb_str(&sb, "hello: ");
    nx_sb_str(&sb, what);
    nx_sb_str(&sb, " failed with ");
    nx_sb_i64(&sb, r);
    nx_abort_n(sb.buf, sb.len);
}

void run(void) {
    nx_log("Starting module...");
    must(nx_db_set_str("counter", "0"), "db_set(counter)");

    nx_bytes value;
    int32_t r = nx_db_get("counter", &value);
    if (r == NX_OK) {
        nx_sb sb;
        nx_sb_init(&sb);
        nx_sb_str(&sb, "Counter: ");
        nx_sb_bytes(&sb, value.data, value.len);
        nx_sb_log(&sb);
        nx_bytes_free(&value);
    } else if (r != NX_ERR_NOT_FOUND) {
        must(r, "db_get(counter)");
    }

    must(nx_db_delete("counter"), "db_delete(counter)");
    nx_log("Module completed!");
}
