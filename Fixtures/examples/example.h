/*
 * example.h - the few helpers the six distributed examples share, so that each example's
 * .c file shows only its CRDT: failing with a readable message, reading NX_* environment
 * variables, splitting comma-separated lists, and formatting values the way
 * `nxrun --print-*` prints them ("[a, b]", "{f1=v1, f2=v2}").
 *
 * Include after the SDK, defining EXAMPLE_NAME (the prefix of every log line and abort
 * message) first:
 *     #define NX_SB_CAP 4096            // optional: longer log lines for lists
 *     #include "../../sdk/nx.h"
 *     #define EXAMPLE_NAME "tags"
 *     #include "../example.h"
 */
#ifndef NX_EXAMPLE_H
#define NX_EXAMPLE_H

#ifndef NX_H
#error "include ../../sdk/nx.h before example.h"
#endif
#ifndef EXAMPLE_NAME
#error "define EXAMPLE_NAME before including example.h"
#endif

/* --------------------------------------------------------------- errors */

static inline const char *example_error_text(int32_t code) {
    switch (code) {
    case NX_ERR_NOT_FOUND: return "not found (ERR_NOT_FOUND)";
    case NX_ERR_BUFFER_TOO_SMALL: return "result larger than 10 MiB (ERR_BUFFER_TOO_SMALL)";
    case NX_ERR_INTERNAL: return "host error or limit exceeded, e.g. a field over 1024 bytes (ERR_INTERNAL)";
    case NX_ERR_RESERVED_KEY: return "reserved key (ERR_RESERVED_KEY)";
    case NX_ERR_SYNC_DISABLED:
        /* The one error a user of the examples is likely to see: say what to do. */
        return "sync is disabled (ERR_SYNC_DISABLED): CRDTs only exist on a node started with "
               "--listen ADDR [--peer ADDR]..., see this example's run.sh";
    case NX_ERR_NO_MEMORY: return "out of guest memory";
    case NX_ERR_MALFORMED: return "malformed host output";
    default: return "unexpected error";
    }
}

/* Traps with "<example>: <what> failed: <reason> (<code>)". */
__attribute__((noreturn)) static inline void example_fail(const char *what, int32_t code) {
    nx_sb sb;
    nx_sb_init(&sb);
    nx_sb_str(&sb, EXAMPLE_NAME ": ");
    nx_sb_str(&sb, what);
    nx_sb_str(&sb, " failed: ");
    nx_sb_str(&sb, example_error_text(code));
    nx_sb_str(&sb, " (");
    nx_sb_i64(&sb, code);
    nx_sb_str(&sb, ")");
    nx_abort_n(sb.buf, sb.len);
}

/* Returns code unless it is an error, in which case the module traps. */
static inline int32_t example_check(int32_t code, const char *what) {
    if (code < 0) example_fail(what, code);
    return code;
}

/* Traps with "<example>: <message><detail>" (detail: bytes, e.g. a bad env value). */
__attribute__((noreturn)) static inline void example_fail_input(const char *message, const void *detail,
                                                                uint32_t len) {
    nx_sb sb;
    nx_sb_init(&sb);
    nx_sb_str(&sb, EXAMPLE_NAME ": ");
    nx_sb_str(&sb, message);
    nx_sb_bytes(&sb, detail, len);
    nx_abort_n(sb.buf, sb.len);
}

/* --------------------------------------------------------------- logging */

/* Starts a log line with "<example>: ". */
static inline void example_line(nx_sb *sb) {
    nx_sb_init(sb);
    nx_sb_str(sb, EXAMPLE_NAME ": ");
}

/* Appends an orset_elements / rga_values result as "[a, b]". */
static inline void example_sb_items(nx_sb *sb, const nx_bytes *encoded) {
    nx_iter it;
    nx_slice item;
    int32_t r;
    example_check(nx_iter_init_bytes(&it, encoded), "decoding the elements");
    nx_sb_char(sb, '[');
    for (uint32_t i = 0; (r = nx_iter_item(&it, &item)) == 1; i++) {
        if (i) nx_sb_str(sb, ", ");
        nx_sb_bytes(sb, item.data, item.len);
    }
    example_check(r, "decoding the elements");
    nx_sb_char(sb, ']');
}

/* Appends a lww_map_entries result as "{f1=v1, f2=v2}". */
static inline void example_sb_entries(nx_sb *sb, const nx_bytes *encoded) {
    nx_iter it;
    nx_entry e;
    int32_t r;
    example_check(nx_iter_init_bytes(&it, encoded), "decoding the entries");
    nx_sb_char(sb, '{');
    for (uint32_t i = 0; (r = nx_iter_entry(&it, &e)) == 1; i++) {
        if (i) nx_sb_str(sb, ", ");
        nx_sb_bytes(sb, e.field.data, e.field.len);
        nx_sb_char(sb, '=');
        nx_sb_bytes(sb, e.value.data, e.value.len);
    }
    example_check(r, "decoding the entries");
    nx_sb_char(sb, '}');
}

/* ----------------------------------------------------------- environment */

/* Reads an environment variable the runtime exposes to guests (uppercase NX_* names only).
 * Returns 1 and the value in *out (release with nx_bytes_free) when it is set and not empty,
 * 0 when it is unset or empty (an empty value means "nothing to do", as unset). */
static inline int example_env(const char *name, nx_bytes *out) {
    int32_t r = nx_env_get(name, out);
    if (r == NX_ERR_NOT_FOUND) return 0;
    example_check(r, "env_get");
    if (out->len == 0) {
        nx_bytes_free(out);
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------- comma lists */

/* Splits "a, b,,c" into "a", "b", "c": spaces around items are dropped, empty items skipped.
 *     example_list list = {text.data, text.len}; nx_slice item;
 *     while (example_list_next(&list, &item)) ... */
typedef struct {
    const uint8_t *p;
    uint32_t len;
} example_list;

static inline int example_is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static inline int example_list_next(example_list *list, nx_slice *item) {
    while (list->len) {
        uint32_t n = 0;
        while (n < list->len && list->p[n] != ',') n++;
        const uint8_t *start = list->p;
        uint32_t len = n, step = n < list->len ? n + 1 : n; /* past the comma, if any */
        list->p += step;
        list->len -= step;
        while (len && example_is_space(start[0])) start++, len--;
        while (len && example_is_space(start[len - 1])) len--;
        if (len) {
            item->data = start;
            item->len = len;
            return 1;
        }
    }
    return 0;
}

/* A NUL-terminated copy of bytes (the SDK takes elements and fields as C strings). Traps
 * on bytes containing NUL, which a C string cannot carry. Release with nx_free. */
static inline char *example_cstr(const uint8_t *data, uint32_t len) {
    for (uint32_t i = 0; i < len; i++)
        if (!data[i]) example_fail_input("text contains a NUL byte: ", data, i);
    char *s = (char *)nx_malloc(len + 1);
    if (!s) example_fail("allocating a string", NX_ERR_NO_MEMORY);
    memcpy(s, data, len);
    s[len] = 0;
    return s;
}

#endif /* NX_EXAMPLE_H */
