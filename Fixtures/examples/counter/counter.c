/*
 * counter.c - distributed example: a grow-only counter (GCounter) shared by every node.
 *
 * Each node adds NX_INCREMENT (a decimal number, default 1; 0 only reads) to the GCounter
 * "counter:visits" and logs the value it sees right afterwards: its own increments plus
 * those it has received from peers so far. Every node owns its own slot of the counter and
 * the value is the sum of the slots, so concurrent increments never overwrite each other:
 * once the nodes have exchanged their operations, all of them see the same total.
 *
 * Log line: "counter: added 2 to counter:visits; value here now: 2".
 * See README.md and run.sh (three nodes adding 1, 2 and 3 converge on 6).
 */
#include "../../sdk/nx.h"
#define EXAMPLE_NAME "counter"
#include "../example.h"

#define KEY "counter:visits"

void run(void) {
    uint64_t delta = 1;
    nx_bytes text;
    if (example_env("NX_INCREMENT", &text)) {
        if (!nx_parse_u64(text.data, text.len, &delta))
            example_fail_input("NX_INCREMENT must be a decimal number (0 to 2^64-1), got: ", text.data,
                               text.len);
        nx_bytes_free(&text);
    }

    if (delta > 0) example_check(nx_gcounter_inc(KEY, delta), "crdt_gcounter_inc");
    uint64_t value;
    example_check(nx_gcounter_value(KEY, &value), "crdt_gcounter_value");

    nx_sb sb;
    example_line(&sb);
    if (delta > 0) {
        nx_sb_str(&sb, "added ");
        nx_sb_u64(&sb, delta);
        nx_sb_str(&sb, " to " KEY "; value here now: ");
    } else {
        nx_sb_str(&sb, "NX_INCREMENT is 0, only reading; " KEY " here: ");
    }
    nx_sb_u64(&sb, value);
    nx_sb_log(&sb);
}
