/*
 * inventory.c - distributed example: a stock level kept in a PNCounter.
 *
 * Each node applies NX_DELTA to the PNCounter "inventory:sku-1": "+10" or "10" adds ten
 * units (crdt_pncounter_inc), "-3" takes three away (crdt_pncounter_dec); unset, empty or
 * 0 only reads. It then logs the value it sees. A PNCounter is two grow-only counters
 * (increments and decrements, one slot per node in each), and its value is their
 * difference, so concurrent additions and removals on different nodes all count and
 * every node converges on the same, possibly negative, total.
 *
 * Log line: "inventory: removed 3 from inventory:sku-1; value here now: 7".
 * See README.md and run.sh (+10, -3 and +5 on three nodes converge on 12).
 */
#include "../../sdk/nx.h"
#define EXAMPLE_NAME "inventory"
#include "../example.h"

#define KEY "inventory:sku-1"

void run(void) {
    int negative = 0;
    uint64_t amount = 0;
    nx_bytes text;
    if (example_env("NX_DELTA", &text)) {
        const uint8_t *digits = text.data;
        uint32_t n = text.len;
        if (digits[0] == '+' || digits[0] == '-') {
            negative = digits[0] == '-';
            digits++;
            n--;
        }
        if (!nx_parse_u64(digits, n, &amount))
            example_fail_input("NX_DELTA must be a signed decimal number like +10 or -3, got: ", text.data,
                               text.len);
        nx_bytes_free(&text);
    }

    if (amount > 0) {
        if (negative)
            example_check(nx_pncounter_dec(KEY, amount), "crdt_pncounter_dec");
        else
            example_check(nx_pncounter_inc(KEY, amount), "crdt_pncounter_inc");
    }
    int64_t value;
    example_check(nx_pncounter_value(KEY, &value), "crdt_pncounter_value");

    nx_sb sb;
    example_line(&sb);
    if (amount > 0) {
        nx_sb_str(&sb, negative ? "removed " : "added ");
        nx_sb_u64(&sb, amount);
        nx_sb_str(&sb, negative ? " from " KEY : " to " KEY);
        nx_sb_str(&sb, "; value here now: ");
    } else {
        nx_sb_str(&sb, "no NX_DELTA, only reading; " KEY " here: ");
    }
    nx_sb_i64(&sb, value);
    nx_sb_log(&sb);
}
