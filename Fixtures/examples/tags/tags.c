/*
 * tags.c - distributed example: the tags of an item in an observed-remove set (ORSet).
 *
 * NX_ADD and NX_REMOVE are comma-separated lists of tags ("red,blue"); the node adds the
 * NX_ADD tags to the ORSet "tags:item-1", then removes the NX_REMOVE tags, logging each
 * step, and finally logs the set it sees. Every add creates a unique tag; a remove deletes
 * only the adds this node has observed, so an add that the remove had not seen (made
 * concurrently elsewhere) stays visible after merging: adds win over concurrent removes,
 * and every node converges on the same set.
 *
 * Log lines: "tags: added green", "tags: removed blue (the adds seen here)",
 * "tags: tags:item-1 here now: [green, red]". Either variable may be unset (only reads).
 * See README.md and run.sh.
 */
#define NX_SB_CAP 4096 /* room to log the whole set */
#include "../../sdk/nx.h"
#define EXAMPLE_NAME "tags"
#include "../example.h"

#define KEY "tags:item-1"

static void log_step(const char *before, const char *tag, const char *after) {
    nx_sb sb;
    example_line(&sb);
    nx_sb_str(&sb, before);
    nx_sb_str(&sb, tag);
    nx_sb_str(&sb, after);
    nx_sb_log(&sb);
}

static void add_tags(const nx_bytes *list_text) {
    example_list list = {list_text->data, list_text->len};
    nx_slice item;
    while (example_list_next(&list, &item)) {
        char *tag = example_cstr(item.data, item.len);
        example_check(nx_orset_add(KEY, tag), "crdt_orset_add");
        log_step("added ", tag, "");
        nx_free(tag);
    }
}

static void remove_tags(const nx_bytes *list_text) {
    example_list list = {list_text->data, list_text->len};
    nx_slice item;
    while (example_list_next(&list, &item)) {
        char *tag = example_cstr(item.data, item.len);
        /* The host makes removing an unobserved tag a no-op; say which case this is. */
        int visible = example_check(nx_orset_contains(KEY, tag), "crdt_orset_contains");
        example_check(nx_orset_remove(KEY, tag), "crdt_orset_remove");
        if (visible)
            log_step("removed ", tag, " (the adds seen here)");
        else
            log_step("not removing ", tag, ": no add of it seen here, the remove is a no-op");
        nx_free(tag);
    }
}

void run(void) {
    nx_bytes adds, removes;
    if (example_env("NX_ADD", &adds)) {
        add_tags(&adds);
        nx_bytes_free(&adds);
    }
    if (example_env("NX_REMOVE", &removes)) {
        remove_tags(&removes);
        nx_bytes_free(&removes);
    }

    nx_bytes elements;
    example_check(nx_orset_elements(KEY, &elements), "crdt_orset_elements");
    nx_sb sb;
    example_line(&sb);
    nx_sb_str(&sb, KEY " here now: ");
    example_sb_items(&sb, &elements);
    nx_sb_log(&sb);
    nx_bytes_free(&elements);
}
