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
 * Finding "the last visible comment" needs its element id, but crdt_rga_values returns
 * only values. So the module keeps a replicated index next to the thread: the LWW-Map
 * "comments:doc-1:ids" maps each comment's text to its element id (32 hex digits), written
 * right after the insert. To append, it walks the visible comments from the end and inserts
 * after the first one whose id it finds (a comment whose index entry has not arrived yet is
 * skipped). Consequences: comment texts should be distinct (the index keeps one id per
 * text) and at most 1024 bytes (the LWW-Map field limit).
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
#define INDEX "comments:doc-1:ids" /* LWW-Map: comment text -> element id in hex */
#define MAX_COMMENT 1024u          /* comments are the index's fields: at most 1024 bytes */

static const char hex_digits[] = "0123456789abcdef";

static int hex_value(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* The id of the element holding text, from the index: 1 = found, 0 = no (usable) entry. */
static int lookup_id(nx_slice text, nx_rga_id *id) {
    if (text.len == 0 || text.len > MAX_COMMENT) return 0; /* never indexed */
    for (uint32_t i = 0; i < text.len; i++)
        if (!text.data[i]) return 0; /* not a C string: never indexed */
    char *field = example_cstr(text.data, text.len);
    nx_bytes hex;
    int32_t r = nx_lww_map_get(INDEX, field, &hex);
    nx_free(field);
    if (r == NX_ERR_NOT_FOUND) return 0;
    example_check(r, "crdt_lww_map_get");
    int ok = hex.len > 0 && hex.len % 2 == 0 && hex.len / 2 <= NX_RGA_ID_CAP;
    for (uint32_t i = 0; ok && i < hex.len / 2; i++) {
        int hi = hex_value(hex.data[2 * i]), lo = hex_value(hex.data[2 * i + 1]);
        ok = hi >= 0 && lo >= 0;
        id->bytes[i] = (uint8_t)(hi << 4 | lo);
    }
    id->len = hex.len / 2;
    nx_bytes_free(&hex);
    return ok;
}

static void record_id(const char *comment, const nx_rga_id *id) {
    char hex[2 * NX_RGA_ID_CAP];
    for (uint32_t i = 0; i < id->len; i++) {
        hex[2 * i] = hex_digits[id->bytes[i] >> 4];
        hex[2 * i + 1] = hex_digits[id->bytes[i] & 15];
    }
    example_check(nx_lww_map_set(INDEX, comment, hex, 2 * id->len), "crdt_lww_map_set (id index)");
}

/* The visible comments as slices into values (count in *count). Release with nx_free. */
static nx_slice *split_values(const nx_bytes *values, uint32_t *count) {
    nx_iter it;
    example_check(nx_iter_init_bytes(&it, values), "decoding crdt_rga_values");
    nx_slice *items = (nx_slice *)nx_malloc(sizeof(nx_slice) * (it.count ? it.count : 1));
    if (!items) example_fail("allocating the comment list", NX_ERR_NO_MEMORY);
    uint32_t n = 0;
    int32_t r;
    while ((r = nx_iter_item(&it, &items[n])) == 1) n++;
    example_check(r, "decoding crdt_rga_values");
    *count = n;
    return items;
}

static void append(const nx_bytes *comment) {
    if (comment->len > MAX_COMMENT)
        example_fail_input("NX_COMMENT is longer than 1024 bytes (the id index's field limit); it starts: ",
                           comment->data, 64);
    char *text = example_cstr(comment->data, comment->len);

    nx_bytes values;
    example_check(nx_rga_values(KEY, &values), "crdt_rga_values");
    uint32_t count;
    nx_slice *items = split_values(&values, &count);

    /* Insert after the last comment whose id is known; at the head when none is. */
    nx_rga_id parent, id;
    uint32_t skipped = 0;
    int32_t after = -1; /* index in items of the parent; -1 = head */
    for (int32_t i = (int32_t)count - 1; i >= 0 && after < 0; i--) {
        if (lookup_id(items[i], &parent)) {
            int32_t r = nx_rga_insert(KEY, &parent, comment->data, comment->len, &id);
            /* NOT_FOUND: the index entry arrived before the element itself; try older ones. */
            if (r != NX_ERR_NOT_FOUND) {
                example_check(r, "crdt_rga_insert");
                after = i;
                break;
            }
        }
        skipped++;
    }
    if (after < 0) example_check(nx_rga_insert(KEY, 0, comment->data, comment->len, &id), "crdt_rga_insert");
    record_id(text, &id);

    nx_sb sb;
    example_line(&sb);
    nx_sb_str(&sb, "added \"");
    nx_sb_str(&sb, text);
    if (after >= 0) {
        nx_sb_str(&sb, "\" after \"");
        nx_sb_bytes(&sb, items[after].data, items[after].len);
        nx_sb_str(&sb, "\"");
    } else {
        nx_sb_str(&sb, "\" at the head");
    }
    if (skipped) {
        nx_sb_str(&sb, " (skipped ");
        nx_sb_u64(&sb, skipped);
        nx_sb_str(&sb, " later comment(s) whose id is not in the index here, or not yet)");
    }
    nx_sb_log(&sb);

    nx_free(items);
    nx_bytes_free(&values);
    nx_free(text);
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
