/*
 * status.c - distributed example: a user's status in a last-writer-wins register.
 *
 * When NX_STATUS is set (and not empty) the node writes it to the LWW-Register
 * "status:user-1"; either way it logs the value it now sees ("<unset>" when the register
 * has never been written). The host stamps every write with its clock and NodeId: the
 * write with the highest timestamp wins on every node, and equal timestamps are decided
 * by NodeId, so all nodes converge on the same single value.
 *
 * Log line: "status: set status:user-1 to away; value here now: away".
 * See README.md and run.sh (online, away, busy written one second apart: busy wins).
 */
#include "../../sdk/nx.h"
#define EXAMPLE_NAME "status"
#include "../example.h"

#define KEY "status:user-1"

void run(void) {
    nx_bytes status;
    int writing = example_env("NX_STATUS", &status);
    if (writing) example_check(nx_lww_set(KEY, status.data, status.len), "crdt_lww_set");

    nx_bytes now;
    int32_t r = nx_lww_get(KEY, &now);
    if (r != NX_ERR_NOT_FOUND) example_check(r, "crdt_lww_get");

    nx_sb sb;
    example_line(&sb);
    if (writing) {
        nx_sb_str(&sb, "set " KEY " to ");
        nx_sb_bytes(&sb, status.data, status.len);
        nx_sb_str(&sb, "; value here now: ");
        nx_bytes_free(&status);
    } else {
        nx_sb_str(&sb, "no NX_STATUS, only reading; " KEY " here: ");
    }
    if (r == NX_ERR_NOT_FOUND) {
        nx_sb_str(&sb, "<unset>");
    } else {
        nx_sb_bytes(&sb, now.data, now.len);
        nx_bytes_free(&now);
    }
    nx_sb_log(&sb);
}
