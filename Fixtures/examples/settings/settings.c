/*
 * settings.c - distributed example: a service's settings in a last-writer-wins map.
 *
 * NX_SET is a comma-separated list of field=value pairs ("theme=dark,lang=en") and
 * NX_REMOVE a comma-separated list of fields ("region"). The node sets the NX_SET fields
 * of the LWW-Map "settings:service-a", then removes the NX_REMOVE fields, logging each
 * step, and finally logs the map it sees. Every field is its own last-writer-wins
 * register (host timestamp, NodeId tie-break): concurrent writes to different fields all
 * survive, the latest write to a field wins, and a remove is a timestamped tombstone that
 * an older write cannot bring back.
 *
 * Log lines: "settings: set theme=light", "settings: removed region",
 * "settings: settings:service-a here now: {lang=de, theme=light}". Values cannot contain
 * commas; either variable may be unset (only reads). See README.md and run.sh.
 */
#define NX_SB_CAP 4096 /* room to log the whole map */
#include "../../sdk/nx.h"
#define EXAMPLE_NAME "settings"
#include "../example.h"

#define KEY "settings:service-a"

static void set_fields(const nx_bytes *list_text) {
    example_list list = {list_text->data, list_text->len};
    nx_slice item;
    while (example_list_next(&list, &item)) {
        uint32_t eq = 0;
        while (eq < item.len && item.data[eq] != '=') eq++;
        if (eq == item.len || eq == 0)
            example_fail_input("NX_SET items must look like field=value, got: ", item.data, item.len);
        char *field = example_cstr(item.data, eq);
        const uint8_t *value = item.data + eq + 1;
        uint32_t value_len = item.len - eq - 1;
        example_check(nx_lww_map_set(KEY, field, value, value_len), "crdt_lww_map_set");

        nx_sb sb;
        example_line(&sb);
        nx_sb_str(&sb, "set ");
        nx_sb_str(&sb, field);
        nx_sb_char(&sb, '=');
        nx_sb_bytes(&sb, value, value_len);
        nx_sb_log(&sb);
        nx_free(field);
    }
}

static void remove_fields(const nx_bytes *list_text) {
    example_list list = {list_text->data, list_text->len};
    nx_slice item;
    while (example_list_next(&list, &item)) {
        char *field = example_cstr(item.data, item.len);
        int present = example_check(nx_lww_map_contains(KEY, field), "crdt_lww_map_contains");
        /* Written even when the field is absent here: the tombstone still beats any older
         * write of the field that has not arrived yet. */
        example_check(nx_lww_map_remove(KEY, field), "crdt_lww_map_remove");

        nx_sb sb;
        example_line(&sb);
        nx_sb_str(&sb, "removed ");
        nx_sb_str(&sb, field);
        if (!present) nx_sb_str(&sb, " (not set here; the tombstone still hides older writes)");
        nx_sb_log(&sb);
        nx_free(field);
    }
}

void run(void) {
    nx_bytes sets, removes;
    if (example_env("NX_SET", &sets)) {
        set_fields(&sets);
        nx_bytes_free(&sets);
    }
    if (example_env("NX_REMOVE", &removes)) {
        remove_fields(&removes);
        nx_bytes_free(&removes);
    }

    nx_bytes entries;
    example_check(nx_lww_map_entries(KEY, &entries), "crdt_lww_map_entries");
    nx_sb sb;
    example_line(&sb);
    nx_sb_str(&sb, KEY " here now: ");
    example_sb_entries(&sb, &entries);
    nx_sb_log(&sb);
    nx_bytes_free(&entries);
}
