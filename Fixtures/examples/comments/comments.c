/*
 * comments.c - distributed example: an ordered comment thread in an RGA.
 *
 * When NX_COMMENT is set (and not empty) the node appends it to the RGA "comments:doc-1":
 * it inserts the comment after the last visible comment, or at the head when there is none.
 * Either way it logs the sequence it then sees. Every RGA element has a stable id and
 * remembers the element it was inserted after, so an insert after X lands right after X on
 * every node, whatever order the operations arrive in; concurrent inserts after the same
 * element are ordered newest first by (Lamport timestamp, NodeId), the same on every node.
 *
 * Inserting after the last comment needs that comment's element id, and usually another
 * node wrote it, so no earlier insert here returned it. crdt_rga_values gives only values;
 * crdt_rga_entries (an nx extension of the host API) gives the visible elements with their
 * ids, in the same order, so the last entry's id is the parent.
 *
 * Log lines: "comments: added \"bob: reviewed\" after \"alice: draft ready\"",
 * "comments: comments:doc-1 here now: [alice: draft ready, bob: reviewed]".
 * See README.md and run.sh.
 */
#define NX_SB_CAP 4096 /* room to log the whole thread */
#include "../../sdk/nx.h"
#define EXAMPLE_NAME "comments"
#include "../example.h"

#define KEY "comments:doc-1"

static void append(const nx_bytes *comment) {
    nx_bytes entries;
    example_check(nx_rga_entries(KEY, &entries), "crdt_rga_entries");

    /* The last visible comment, if any: its id is the parent, its text goes to the log. */
    nx_iter it;
    nx_rga_entry entry, last;
    int has_last = 0;
    int32_t r;
    example_check(nx_iter_init_bytes(&it, &entries), "decoding crdt_rga_entries");
    while ((r = nx_iter_rga_entry(&it, &entry)) == 1) {
        last = entry;
        has_last = 1;
    }
    example_check(r, "decoding crdt_rga_entries");

    /* The parent id comes from this node's own state, and RGA elements are never removed
     * (deleted ones stay as tombstones), so the insert finds it. */
    nx_rga_id parent, id;
    if (has_last) example_check(nx_rga_id_from_slice(last.id, &parent), "decoding crdt_rga_entries");
    example_check(nx_rga_insert(KEY, has_last ? &parent : 0, comment->data, comment->len, &id), "crdt_rga_insert");

    nx_sb sb;
    example_line(&sb);
    nx_sb_str(&sb, "added \"");
    nx_sb_bytes(&sb, comment->data, comment->len);
    if (has_last) {
        nx_sb_str(&sb, "\" after \"");
        nx_sb_bytes(&sb, last.value.data, last.value.len);
        nx_sb_str(&sb, "\"");
    } else {
        nx_sb_str(&sb, "\" at the head");
    }
    nx_sb_log(&sb);

    nx_bytes_free(&entries);
}

void run(void) {
    nx_bytes comment;
    if (example_env("NX_COMMENT", &comment)) {
        append(&comment);
        nx_bytes_free(&comment);
    } else {
        nx_log(EXAMPLE_NAME ": no NX_COMMENT, only reading");
    }

    nx_bytes values;
    example_check(nx_rga_values(KEY, &values), "crdt_rga_values");
    nx_sb sb;
    example_line(&sb);
    nx_sb_str(&sb, KEY " here now: ");
    example_sb_items(&sb, &values);
    nx_sb_log(&sb);
    nx_bytes_free(&values);
}
