/*
 * nx.h - guest SDK for the nx host API (C, wasm32, no libc).
 *
 * Single header. Include it and build with
 *     clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export=run mod.c
 * The module then imports only from module "nx".
 *
 * Layers
 *   1. Raw imports  nx_raw_<contract name>(...)  exactly as in host-api.txt:
 *      pointers and lengths are u32 (wasm32 addresses, use NX_PTR(p)),
 *      cursors and deltas u64, results i32 (time_* return u64, abort never returns).
 *      Plus nx's extension beyond the contract, crdt_rga_entries (the RGA's elements
 *      with their ids). Only a module that calls it imports it, and only such a module
 *      needs a host that has it (others reject the import as unknown).
 *   2. Typed wrappers nx_db_get, nx_lww_map_entries, nx_log, ...  C strings for
 *      keys/names/fields/elements, (ptr, len) for values, nx_bytes for owned results.
 *   3. Decoders (nx_iter_*) for the little-endian binary outputs, and a scan
 *      cursor (nx_scan) that paginates db_scan/db_keys with either cursor style.
 *
 * Return convention of every wrapper: NX_OK (0) or a negative error code.
 * Predicates (exists/contains) return 1 / 0 / negative error.
 *
 * BUFFER-TOO-SMALL RETRY POLICY
 *   When a result does not fit in out_cap the host returns NX_ERR_BUFFER_TOO_SMALL (-2)
 *   and writes NOTHING, so a guest cannot learn the size it needs. Every allocating
 *   wrapper therefore starts with a NX_INITIAL_OUT_CAP (256) byte buffer and doubles it
 *   after each -2, up to NX_MAX_OUTPUT (10 MiB, the host's own cap); -2 at 10 MiB is
 *   returned to the caller. A value of n bytes thus costs 1 + ceil(log2(n / 256)) host calls.
 *   Scans are paged: the host stops before the first row that does not fit, and -2 only
 *   means "not even the first row fits", so the same doubling applies per page.
 *   crdt_rga_insert is never retried (a retry would insert twice); it gets a fixed
 *   NX_RGA_ID_CAP (64) byte id buffer, ids are at most 16 bytes today.
 *
 * Limits are mirrored: the db wrappers reject keys over 1024 bytes, the db/CRDT wrappers
 * values over 1 MiB and nx_random_bytes requests over 1 MiB with NX_ERR_INTERNAL before
 * calling the host (the code the host itself would return); nx_log truncates to 8 KiB.
 *
 * Memory: a size-class allocator (nx_malloc/nx_free/nx_realloc/nx_calloc) over pages
 * obtained with memory.grow; it never touches memory the linker laid out. memcpy,
 * memset, memmove, memcmp and strlen are defined as weak symbols because clang may emit
 * calls to them (it uses memory.copy/fill when bulk memory is enabled, the default, but
 * still turns loops into strlen/memcmp calls).
 *
 * Several translation units may include this header: the wrappers are static inline,
 * the libc symbols and the allocator state are weak, so they link to one copy.
 */
#ifndef NX_H
#define NX_H

#include <stdint.h> /* clang's freestanding headers, no libc involved */
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- constants */

#define NX_OK                    0
#define NX_ERR_NOT_FOUND        (-1)
#define NX_ERR_BUFFER_TOO_SMALL (-2)
#define NX_ERR_INTERNAL         (-3)
#define NX_ERR_RESERVED_KEY     (-4)
#define NX_ERR_SYNC_DISABLED    (-5)
/* SDK-side codes, never returned by the host. */
#define NX_ERR_NO_MEMORY        (-100) /* guest allocator could not grow memory */
#define NX_ERR_MALFORMED        (-101) /* host output does not match its encoding */

#define NX_MAX_KEY_LEN      1024u
#define NX_MAX_VALUE_LEN    (1024u * 1024u)
#define NX_MAX_OUTPUT       (10u * 1024u * 1024u)
#define NX_MAX_RANDOM_LEN   (1024u * 1024u)
#define NX_MAX_LOG_LEN      (8u * 1024u)

#define NX_INITIAL_OUT_CAP  256u          /* first buffer of every allocating wrapper */
#define NX_SCAN_MAX_PAGE_CAP (64u * 1024u) /* scan cursors grow their page up to this when
                                             the buffer, not the limit, ended a page */
#define NX_RGA_ID_CAP       64u
#define NX_RESERVED_PREFIX  "__nx/"

#define NX_PTR(p) ((uint32_t)(uintptr_t)(p))

#define NX_IMPORT(name) __attribute__((import_module("nx"), import_name(#name)))

/* ------------------------------------------------------------- raw imports */
/* Database */
NX_IMPORT(db_get) int32_t nx_raw_db_get(uint32_t key_ptr, uint32_t key_len, uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(db_set) int32_t nx_raw_db_set(uint32_t key_ptr, uint32_t key_len, uint32_t val_ptr, uint32_t val_len);
NX_IMPORT(db_delete) int32_t nx_raw_db_delete(uint32_t key_ptr, uint32_t key_len);
NX_IMPORT(db_exists) int32_t nx_raw_db_exists(uint32_t key_ptr, uint32_t key_len);
NX_IMPORT(db_scan) int32_t nx_raw_db_scan(uint32_t prefix_ptr, uint32_t prefix_len, uint64_t cursor,
                                          uint32_t limit, uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(db_scan_after) int32_t nx_raw_db_scan_after(uint32_t prefix_ptr, uint32_t prefix_len,
                                                      uint32_t start_after_ptr, uint32_t start_after_len,
                                                      uint32_t limit, uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(db_keys) int32_t nx_raw_db_keys(uint32_t prefix_ptr, uint32_t prefix_len, uint64_t cursor,
                                          uint32_t limit, uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(db_keys_after) int32_t nx_raw_db_keys_after(uint32_t prefix_ptr, uint32_t prefix_len,
                                                      uint32_t start_after_ptr, uint32_t start_after_len,
                                                      uint32_t limit, uint32_t out_ptr, uint32_t out_cap);
/* CRDT */
NX_IMPORT(crdt_gcounter_inc) int32_t nx_raw_crdt_gcounter_inc(uint32_t key_ptr, uint32_t key_len, uint64_t delta);
NX_IMPORT(crdt_gcounter_value) int32_t nx_raw_crdt_gcounter_value(uint32_t key_ptr, uint32_t key_len,
                                                                  uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(crdt_pncounter_inc) int32_t nx_raw_crdt_pncounter_inc(uint32_t key_ptr, uint32_t key_len, uint64_t delta);
NX_IMPORT(crdt_pncounter_dec) int32_t nx_raw_crdt_pncounter_dec(uint32_t key_ptr, uint32_t key_len, uint64_t delta);
NX_IMPORT(crdt_pncounter_value) int32_t nx_raw_crdt_pncounter_value(uint32_t key_ptr, uint32_t key_len,
                                                                    uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(crdt_lww_set) int32_t nx_raw_crdt_lww_set(uint32_t key_ptr, uint32_t key_len,
                                                    uint32_t value_ptr, uint32_t value_len);
NX_IMPORT(crdt_lww_get) int32_t nx_raw_crdt_lww_get(uint32_t key_ptr, uint32_t key_len,
                                                    uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(crdt_lww_map_set) int32_t nx_raw_crdt_lww_map_set(uint32_t key_ptr, uint32_t key_len,
                                                            uint32_t field_ptr, uint32_t field_len,
                                                            uint32_t value_ptr, uint32_t value_len);
NX_IMPORT(crdt_lww_map_remove) int32_t nx_raw_crdt_lww_map_remove(uint32_t key_ptr, uint32_t key_len,
                                                                  uint32_t field_ptr, uint32_t field_len);
NX_IMPORT(crdt_lww_map_get) int32_t nx_raw_crdt_lww_map_get(uint32_t key_ptr, uint32_t key_len,
                                                            uint32_t field_ptr, uint32_t field_len,
                                                            uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(crdt_lww_map_contains) int32_t nx_raw_crdt_lww_map_contains(uint32_t key_ptr, uint32_t key_len,
                                                                      uint32_t field_ptr, uint32_t field_len);
NX_IMPORT(crdt_lww_map_entries) int32_t nx_raw_crdt_lww_map_entries(uint32_t key_ptr, uint32_t key_len,
                                                                    uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(crdt_orset_add) int32_t nx_raw_crdt_orset_add(uint32_t key_ptr, uint32_t key_len,
                                                        uint32_t element_ptr, uint32_t element_len);
NX_IMPORT(crdt_orset_remove) int32_t nx_raw_crdt_orset_remove(uint32_t key_ptr, uint32_t key_len,
                                                              uint32_t element_ptr, uint32_t element_len);
NX_IMPORT(crdt_orset_contains) int32_t nx_raw_crdt_orset_contains(uint32_t key_ptr, uint32_t key_len,
                                                                  uint32_t element_ptr, uint32_t element_len);
NX_IMPORT(crdt_orset_elements) int32_t nx_raw_crdt_orset_elements(uint32_t key_ptr, uint32_t key_len,
                                                                  uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(crdt_rga_insert) int32_t nx_raw_crdt_rga_insert(uint32_t key_ptr, uint32_t key_len,
                                                          uint32_t parent_ptr, uint32_t parent_len,
                                                          uint32_t value_ptr, uint32_t value_len,
                                                          uint32_t out_id_ptr, uint32_t out_id_cap);
NX_IMPORT(crdt_rga_delete) int32_t nx_raw_crdt_rga_delete(uint32_t key_ptr, uint32_t key_len,
                                                          uint32_t id_ptr, uint32_t id_len);
NX_IMPORT(crdt_rga_values) int32_t nx_raw_crdt_rga_values(uint32_t key_ptr, uint32_t key_len,
                                                          uint32_t out_ptr, uint32_t out_cap);
/* nx extension, not in host-api.txt: visible elements in sequence order,
 * u32 count; {u32 id_len, id, u32 value_len, value}* (the lww_map_entries shape). */
NX_IMPORT(crdt_rga_entries) int32_t nx_raw_crdt_rga_entries(uint32_t key_ptr, uint32_t key_len,
                                                            uint32_t out_ptr, uint32_t out_cap);
/* Time */
NX_IMPORT(time_now) uint64_t nx_raw_time_now(void);
NX_IMPORT(time_monotonic) uint64_t nx_raw_time_monotonic(void);
/* Crypto */
NX_IMPORT(random_bytes) int32_t nx_raw_random_bytes(uint32_t out_ptr, uint32_t out_len);
NX_IMPORT(hash_sha256) int32_t nx_raw_hash_sha256(uint32_t input_ptr, uint32_t input_len,
                                                  uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(hash_blake3) int32_t nx_raw_hash_blake3(uint32_t input_ptr, uint32_t input_len,
                                                  uint32_t out_ptr, uint32_t out_cap);
/* System */
NX_IMPORT(env_get) int32_t nx_raw_env_get(uint32_t key_ptr, uint32_t key_len, uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(module_id) int32_t nx_raw_module_id(uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(host_capabilities) int32_t nx_raw_host_capabilities(uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(event_emit) int32_t nx_raw_event_emit(uint32_t name_ptr, uint32_t name_len,
                                                uint32_t payload_ptr, uint32_t payload_len);
NX_IMPORT(abort) __attribute__((noreturn)) void nx_raw_abort(uint32_t msg_ptr, uint32_t msg_len);
/* Network */
NX_IMPORT(net_node_id) int32_t nx_raw_net_node_id(uint32_t out_ptr, uint32_t out_cap);
NX_IMPORT(net_peers) int32_t nx_raw_net_peers(uint32_t out_ptr, uint32_t out_cap);
/* Logging */
NX_IMPORT(host_log_v2) int32_t nx_raw_host_log_v2(uint32_t msg_ptr, uint32_t msg_len);

/* ------------------------------------------------------- libc-level helpers */

/* Defined as symbols because clang lowers struct copies and loops to calls to them
 * (with bulk memory off) and Embedded Swift/C code may reference them.
 * no_builtin keeps clang from turning these loops back into calls to themselves. */
__attribute__((weak, no_builtin)) void *memcpy(void *dst, const void *src, size_t n) {
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    while (n--) *d++ = *s++;
    return dst;
}
__attribute__((weak, no_builtin)) void *memmove(void *dst, const void *src, size_t n) {
    uint8_t *d = (uint8_t *)dst;
    const uint8_t *s = (const uint8_t *)src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}
__attribute__((weak, no_builtin)) void *memset(void *dst, int c, size_t n) {
    uint8_t *d = (uint8_t *)dst;
    while (n--) *d++ = (uint8_t)c;
    return dst;
}
__attribute__((weak, no_builtin)) int memcmp(const void *a, const void *b, size_t n) {
    const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
    for (; n; n--, x++, y++)
        if (*x != *y) return (int)*x - (int)*y;
    return 0;
}

__attribute__((weak, no_builtin)) size_t strlen(const char *s) {
    const char *p = s;
    while (*p) p++;
    return (size_t)(p - s);
}

/* clang recognises a hand-written length loop as strlen anyway, so use the symbol. */
static inline uint32_t nx_strlen(const char *s) { return (uint32_t)strlen(s); }
/* 1 when the n bytes at a equal the C string s. */
static inline int nx_bytes_eq_str(const void *a, uint32_t n, const char *s) {
    return nx_strlen(s) == n && memcmp(a, s, n) == 0;
}

/* ------------------------------------------------------------- allocator */
/*
 * Power-of-two size classes (32 B .. 2 GiB blocks, 16-byte header included), one free
 * list per class, fresh blocks bumped from pages obtained with memory.grow (never from
 * memory the linker laid out). No
 * splitting or coalescing: freed blocks are reused for the same class, which is what
 * the retry loop (256, 512, ... bytes) and repeated scans need. Payloads are 16-aligned.
 * Header (16 bytes before the payload): class, magic, offset of payload from block start.
 */
#define NX__HDR 16u
#define NX__MAGIC 0x6e78616cu /* "nxal" */
#define NX__MIN_CLASS 5u
#define NX__NCLASS 32u

typedef struct {
    uint32_t top;                  /* next free byte of the bump region */
    uint32_t end;                  /* end of the bump region (page aligned) */
    uint32_t free_list[NX__NCLASS]; /* block addresses, linked through their first word */
} nx__heap_t;

__attribute__((weak)) nx__heap_t nx__heap;

static inline uint32_t nx__class_for(uint64_t need) {
    uint32_t c = NX__MIN_CLASS;
    while (c < NX__NCLASS && ((uint64_t)1 << c) < need) c++;
    return c;
}

/* Grow memory by enough pages for `bytes`; returns the address of the first new byte,
 * or 0 when the host refuses or the result would pass 4 GiB - 64 KiB. */
static inline uint32_t nx__grow(uint64_t bytes, uint64_t *grown) {
    uint64_t pages = (bytes + 65535u) / 65536u;
    size_t old = __builtin_wasm_memory_grow(0, (size_t)pages);
    if (old == (size_t)-1) return 0;
    uint64_t start = (uint64_t)old * 65536u;
    *grown = pages * 65536u;
    if (start == 0 || start + *grown > 0xffff0000u) return 0; /* keep addr + size in u32 */
    return (uint32_t)start;
}

/* Bump a block of 2^cls bytes, growing memory when needed. 0 when out of memory.
 * Someone else (another allocator, Embedded Swift's runtime) may grow memory too, so
 * grown pages extend the region only when they start where it ends; otherwise a new
 * region starts at them (the old region's tail is abandoned). */
static inline uint32_t nx__bump(uint32_t cls) {
    uint64_t size = (uint64_t)1 << cls, grown;
    if ((uint64_t)nx__heap.top + size > (uint64_t)nx__heap.end) {
        uint64_t missing = nx__heap.end ? (uint64_t)nx__heap.top + size - nx__heap.end : size;
        uint32_t start = nx__grow(missing, &grown);
        if (!start) return 0;
        if (start != nx__heap.end) { /* not contiguous: new region */
            nx__heap.top = start;
            nx__heap.end = start;
            missing = size;
        }
        nx__heap.end += (uint32_t)grown;
        if (grown < missing) { /* new region smaller than the block: grow it further */
            uint32_t more = nx__grow(missing - grown, &grown);
            if (!more || more != nx__heap.end) return 0;
            nx__heap.end += (uint32_t)grown;
        }
    }
    uint32_t block = nx__heap.top;
    nx__heap.top += (uint32_t)size;
    return block;
}

/* Allocate n bytes aligned to align (a power of two >= 16). NULL when out of memory. */
static inline void *nx_malloc_aligned(size_t n, size_t align) {
    if (align < NX__HDR) align = NX__HDR;
    uint64_t need = (uint64_t)n + NX__HDR + (align > NX__HDR ? align - NX__HDR : 0);
    uint32_t cls = nx__class_for(need);
    if (cls >= NX__NCLASS) return 0;
    uint32_t block = nx__heap.free_list[cls];
    if (block) {
        nx__heap.free_list[cls] = *(uint32_t *)(uintptr_t)block;
    } else {
        block = nx__bump(cls);
        if (!block) return 0;
    }
    uint32_t payload = (block + NX__HDR + (uint32_t)align - 1) & ~((uint32_t)align - 1);
    uint32_t *hdr = (uint32_t *)(uintptr_t)(payload - NX__HDR);
    hdr[0] = cls;
    hdr[1] = NX__MAGIC;
    hdr[2] = payload - block;
    return (void *)(uintptr_t)payload;
}

static inline void *nx_malloc(size_t n) { return nx_malloc_aligned(n, NX__HDR); }

static inline void nx_abort(const char *msg);

static inline void nx_free(void *p) {
    if (!p) return;
    uint32_t *hdr = (uint32_t *)((uint8_t *)p - NX__HDR);
    if (hdr[1] != NX__MAGIC || hdr[0] >= NX__NCLASS) nx_abort("nx_free: invalid or double free");
    uint32_t cls = hdr[0], block = NX_PTR(p) - hdr[2];
    hdr[1] = 0;
    /* The link goes into the block's first word, which may be hdr[0]: read it first. */
    *(uint32_t *)(uintptr_t)block = nx__heap.free_list[cls];
    nx__heap.free_list[cls] = block;
}

/* Usable bytes of an allocation (at least what was asked for). */
static inline size_t nx_malloc_usable(const void *p) {
    const uint32_t *hdr = (const uint32_t *)((const uint8_t *)p - NX__HDR);
    return ((size_t)1 << hdr[0]) - hdr[2];
}

static inline void *nx_realloc(void *p, size_t n) {
    if (!p) return nx_malloc(n);
    size_t have = nx_malloc_usable(p);
    if (n <= have) return p;
    void *q = nx_malloc(n);
    if (!q) return 0;
    memcpy(q, p, have);
    nx_free(p);
    return q;
}

static inline void *nx_calloc(size_t count, size_t size) {
    uint64_t n = (uint64_t)count * size;
    if (n > 0xffffffffu) return 0;
    void *p = nx_malloc((size_t)n);
    if (p) memset(p, 0, (size_t)n);
    return p;
}

/* ------------------------------------------------------------ byte views */

/* A borrowed byte range (points into some other buffer). */
typedef struct {
    const uint8_t *data;
    uint32_t len;
} nx_slice;

/* An owned result buffer from nx_malloc: data[0..len), capacity cap. Release with
 * nx_bytes_free. Wrappers fill it only on NX_OK; on error it is left {0, 0, 0}. */
typedef struct {
    uint8_t *data;
    uint32_t len;
    uint32_t cap;
} nx_bytes;

static inline void nx_bytes_free(nx_bytes *b) {
    nx_free(b->data);
    b->data = 0;
    b->len = b->cap = 0;
}

/*
 * Run EXPR (a host call writing into nx__buf / nx__cap) with the retry policy described
 * at the top: 256-byte buffer, doubled after each NX_ERR_BUFFER_TOO_SMALL up to
 * NX_MAX_OUTPUT. Fills *OUT and returns NX_OK, or returns the error (buffer freed).
 */
#define NX__CALL_GROWING(OUT, EXPR)                                                   \
    do {                                                                              \
        (OUT)->data = 0;                                                              \
        (OUT)->len = (OUT)->cap = 0;                                                  \
        uint32_t nx__cap = NX_INITIAL_OUT_CAP;                                        \
        for (;;) {                                                                    \
            uint8_t *nx__buf = (uint8_t *)nx_malloc(nx__cap);                         \
            if (!nx__buf) return NX_ERR_NO_MEMORY;                                    \
            int32_t nx__r = (EXPR);                                                   \
            if (nx__r >= 0) {                                                         \
                if ((uint32_t)nx__r > nx__cap) { nx_free(nx__buf); return NX_ERR_MALFORMED; } \
                (OUT)->data = nx__buf;                                                \
                (OUT)->len = (uint32_t)nx__r;                                         \
                (OUT)->cap = nx__cap;                                                 \
                return NX_OK;                                                         \
            }                                                                         \
            nx_free(nx__buf);                                                         \
            if (nx__r != NX_ERR_BUFFER_TOO_SMALL || nx__cap >= NX_MAX_OUTPUT) return nx__r; \
            nx__cap = nx__cap > NX_MAX_OUTPUT / 2 ? NX_MAX_OUTPUT : nx__cap * 2;      \
        }                                                                             \
    } while (0)

#define NX__OUT NX_PTR(nx__buf), nx__cap
#define NX__STR(s) NX_PTR(s), nx_strlen(s)

static inline int32_t nx__check_key(uint32_t len) {
    return len > NX_MAX_KEY_LEN ? NX_ERR_INTERNAL : NX_OK;
}
static inline int32_t nx__check_value(uint32_t len) {
    return len > NX_MAX_VALUE_LEN ? NX_ERR_INTERNAL : NX_OK;
}

/* ------------------------------------------------------------------ logging */

/* Log len bytes (truncated to NX_MAX_LOG_LEN). Returns NX_OK or NX_ERR_INTERNAL. */
static inline int32_t nx_log_n(const void *msg, uint32_t len) {
    if (len > NX_MAX_LOG_LEN) len = NX_MAX_LOG_LEN;
    return nx_raw_host_log_v2(NX_PTR(msg), len);
}
static inline int32_t nx_log(const char *msg) { return nx_log_n(msg, nx_strlen(msg)); }

/* ------------------------------------------------------------------- system */

/* Trap with a message (the host turns abort into a trap). Never returns. */
__attribute__((noreturn)) static inline void nx_abort_n(const void *msg, uint32_t len) {
    nx_raw_abort(NX_PTR(msg), len);
}
__attribute__((noreturn)) static inline void nx_abort(const char *msg) {
    nx_raw_abort(NX__STR(msg));
}

/* Value of an allowed environment variable (NX_* / NUMAX_*); NX_ERR_NOT_FOUND otherwise. */
static inline int32_t nx_env_get(const char *name, nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_env_get(NX__STR(name), NX__OUT));
}
static inline int32_t nx_module_id(nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_module_id(NX__OUT));
}
/* Capability names separated by '\n'; see nx_has_capability. */
static inline int32_t nx_host_capabilities(nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_host_capabilities(NX__OUT));
}
/* 1 if name is one of the host's capabilities, 0 if not, negative on error. */
static inline int32_t nx_has_capability(const char *name) {
    nx_bytes caps;
    int32_t r = nx_host_capabilities(&caps);
    if (r < 0) return r;
    uint32_t n = nx_strlen(name), start = 0, found = 0;
    for (uint32_t i = 0; i <= caps.len && !found; i++) {
        if (i == caps.len || caps.data[i] == '\n') {
            found = (i - start == n && memcmp(caps.data + start, name, n) == 0);
            start = i + 1;
        }
    }
    nx_bytes_free(&caps);
    return (int32_t)found;
}
/* Event names: non-empty, ASCII letters, digits, '_', '-', '.', ':'. */
static inline int32_t nx_event_emit(const char *name, const void *payload, uint32_t payload_len) {
    return nx_raw_event_emit(NX__STR(name), NX_PTR(payload), payload_len);
}

/* --------------------------------------------------------------------- time */

static inline uint64_t nx_time_now(void) { return nx_raw_time_now(); }             /* Unix ms */
static inline uint64_t nx_time_monotonic(void) { return nx_raw_time_monotonic(); } /* ms */

/* ------------------------------------------------------------------- crypto */

/* Fill out[0..len) with secure random bytes; len <= NX_MAX_RANDOM_LEN. */
static inline int32_t nx_random_bytes(void *out, uint32_t len) {
    if (len > NX_MAX_RANDOM_LEN) return NX_ERR_INTERNAL;
    int32_t r = nx_raw_random_bytes(NX_PTR(out), len);
    if (r < 0) return r;
    return (uint32_t)r == len ? NX_OK : NX_ERR_MALFORMED;
}
/* 32-byte digests. */
static inline int32_t nx_sha256(const void *data, uint32_t len, uint8_t out[32]) {
    int32_t r = nx_raw_hash_sha256(NX_PTR(data), len, NX_PTR(out), 32);
    return r < 0 ? r : (r == 32 ? NX_OK : NX_ERR_MALFORMED);
}
static inline int32_t nx_blake3(const void *data, uint32_t len, uint8_t out[32]) {
    int32_t r = nx_raw_hash_blake3(NX_PTR(data), len, NX_PTR(out), 32);
    return r < 0 ? r : (r == 32 ? NX_OK : NX_ERR_MALFORMED);
}

/* ----------------------------------------------------------------- database */

/* Binary-key forms (_n) take (ptr, len); the plain forms take C strings. */
static inline int32_t nx_db_get_n(const void *key, uint32_t key_len, nx_bytes *out) {
    out->data = 0;
    out->len = out->cap = 0;
    if (nx__check_key(key_len)) return NX_ERR_INTERNAL;
    NX__CALL_GROWING(out, nx_raw_db_get(NX_PTR(key), key_len, NX__OUT));
}
/* NX_OK and the value, NX_ERR_NOT_FOUND, or another error. */
static inline int32_t nx_db_get(const char *key, nx_bytes *out) {
    return nx_db_get_n(key, nx_strlen(key), out);
}
static inline int32_t nx_db_set_n(const void *key, uint32_t key_len, const void *val, uint32_t val_len) {
    if (nx__check_key(key_len) || nx__check_value(val_len)) return NX_ERR_INTERNAL;
    return nx_raw_db_set(NX_PTR(key), key_len, NX_PTR(val), val_len);
}
static inline int32_t nx_db_set(const char *key, const void *val, uint32_t val_len) {
    return nx_db_set_n(key, nx_strlen(key), val, val_len);
}
static inline int32_t nx_db_set_str(const char *key, const char *val) {
    return nx_db_set(key, val, nx_strlen(val));
}
/* NX_OK even when the key did not exist. */
static inline int32_t nx_db_delete_n(const void *key, uint32_t key_len) {
    if (nx__check_key(key_len)) return NX_ERR_INTERNAL;
    return nx_raw_db_delete(NX_PTR(key), key_len);
}
static inline int32_t nx_db_delete(const char *key) { return nx_db_delete_n(key, nx_strlen(key)); }
/* 1 exists, 0 absent, negative error. */
static inline int32_t nx_db_exists_n(const void *key, uint32_t key_len) {
    if (nx__check_key(key_len)) return NX_ERR_INTERNAL;
    return nx_raw_db_exists(NX_PTR(key), key_len);
}
static inline int32_t nx_db_exists(const char *key) { return nx_db_exists_n(key, nx_strlen(key)); }

/* One page, written into out (NX_OK) - decode it with nx_iter_init + nx_iter_row /
 * nx_iter_item. limit 0 = no row limit (the buffer bounds the page). A page may hold
 * fewer rows than limit; pagination ends at the first page with 0 rows. */
static inline int32_t nx_db_scan_page(const char *prefix, uint64_t offset, uint32_t limit, nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_db_scan(NX__STR(prefix), offset, limit, NX__OUT));
}
static inline int32_t nx_db_scan_after_page(const char *prefix, const void *after, uint32_t after_len,
                                            uint32_t limit, nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_db_scan_after(NX__STR(prefix), NX_PTR(after), after_len, limit, NX__OUT));
}
static inline int32_t nx_db_keys_page(const char *prefix, uint64_t offset, uint32_t limit, nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_db_keys(NX__STR(prefix), offset, limit, NX__OUT));
}
static inline int32_t nx_db_keys_after_page(const char *prefix, const void *after, uint32_t after_len,
                                            uint32_t limit, nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_db_keys_after(NX__STR(prefix), NX_PTR(after), after_len, limit, NX__OUT));
}

/* -------------------------------------------------------------- decoders */
/*
 * All structured outputs start with a little-endian u32 count. nx_iter_init reads it;
 * each nx_iter_<kind> call then yields one element: 1 = element produced, 0 = end
 * (all count elements read and no bytes left over), NX_ERR_MALFORMED otherwise.
 * Yielded slices point into the decoded buffer.
 */
typedef struct {
    const uint8_t *p;
    const uint8_t *end;
    uint32_t count;     /* elements announced by the header */
    uint32_t remaining; /* elements not yet yielded */
} nx_iter;

typedef struct { nx_slice key, value; } nx_row;          /* db_scan rows (value empty for keys) */
typedef struct { nx_slice field, value; } nx_entry;      /* lww_map entries */
typedef struct { nx_slice id, value; } nx_rga_entry;     /* rga entries (copy id with nx_rga_id_from_slice) */
typedef struct { nx_slice addr, node_id; } nx_peer;      /* net_peers */

static inline uint32_t nx_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t nx_le64(const uint8_t *p) {
    return (uint64_t)nx_le32(p) | (uint64_t)nx_le32(p + 4) << 32;
}

static inline int32_t nx_iter_init(nx_iter *it, const uint8_t *data, uint32_t len) {
    it->p = data;
    it->end = data + len;
    it->count = it->remaining = 0;
    if (len < 4) return NX_ERR_MALFORMED;
    it->count = it->remaining = nx_le32(data);
    it->p += 4;
    return NX_OK;
}
static inline int32_t nx_iter_init_bytes(nx_iter *it, const nx_bytes *b) {
    return nx_iter_init(it, b->data, b->len);
}

static inline int nx__take_u32(nx_iter *it, uint32_t *v) {
    if (it->end - it->p < 4) return 0;
    *v = nx_le32(it->p);
    it->p += 4;
    return 1;
}
static inline int nx__take_bytes(nx_iter *it, uint32_t n, nx_slice *s) {
    if ((uint32_t)(it->end - it->p) < n) return 0;
    s->data = it->p;
    s->len = n;
    it->p += n;
    return 1;
}
static inline int32_t nx__iter_done(nx_iter *it) {
    return it->p == it->end ? 0 : NX_ERR_MALFORMED;
}

/* db_scan / db_scan_after: {u32 klen, u32 vlen, key, value} */
static inline int32_t nx_iter_row(nx_iter *it, nx_row *row) {
    if (!it->remaining) return nx__iter_done(it);
    uint32_t kl, vl;
    if (!nx__take_u32(it, &kl) || !nx__take_u32(it, &vl) || !nx__take_bytes(it, kl, &row->key) ||
        !nx__take_bytes(it, vl, &row->value))
        return NX_ERR_MALFORMED;
    it->remaining--;
    return 1;
}
/* db_keys, orset elements, rga values: {u32 len, bytes} */
static inline int32_t nx_iter_item(nx_iter *it, nx_slice *item) {
    if (!it->remaining) return nx__iter_done(it);
    uint32_t n;
    if (!nx__take_u32(it, &n) || !nx__take_bytes(it, n, item)) return NX_ERR_MALFORMED;
    it->remaining--;
    return 1;
}
/* lww_map entries: {u32 flen, field, u32 vlen, value} */
static inline int32_t nx_iter_entry(nx_iter *it, nx_entry *e) {
    if (!it->remaining) return nx__iter_done(it);
    uint32_t fl, vl;
    if (!nx__take_u32(it, &fl) || !nx__take_bytes(it, fl, &e->field) || !nx__take_u32(it, &vl) ||
        !nx__take_bytes(it, vl, &e->value))
        return NX_ERR_MALFORMED;
    it->remaining--;
    return 1;
}
/* rga entries: {u32 id_len, id, u32 vlen, value}, the lww_map entry layout with the
 * element id in place of the field. */
static inline int32_t nx_iter_rga_entry(nx_iter *it, nx_rga_entry *e) {
    nx_entry raw;
    int32_t r = nx_iter_entry(it, &raw);
    if (r == 1) {
        e->id = raw.field;
        e->value = raw.value;
    }
    return r;
}
/* net_peers: {u32 addr_len, u32 node_id_len, addr, node_id} */
static inline int32_t nx_iter_peer(nx_iter *it, nx_peer *peer) {
    if (!it->remaining) return nx__iter_done(it);
    uint32_t al, nl;
    if (!nx__take_u32(it, &al) || !nx__take_u32(it, &nl) || !nx__take_bytes(it, al, &peer->addr) ||
        !nx__take_bytes(it, nl, &peer->node_id))
        return NX_ERR_MALFORMED;
    it->remaining--;
    return 1;
}

/* ------------------------------------------------------------ scan cursor */
/*
 * Iterates every row (or key) under a prefix across pages:
 *
 *     nx_scan s; nx_row row; int32_t r;
 *     nx_scan_init(&s, "user:", NX_SCAN_AFTER, 0);
 *     while ((r = nx_scan_next(&s, &row)) == 1) { ...row.key, row.value... }
 *     nx_scan_free(&s);            // r == 0: done, r < 0: error
 *
 * Row slices stay valid until the next nx_scan_next call. The key cursor modes
 * (NX_SCAN_AFTER, NX_KEYS_AFTER) are stable under concurrent writes; the offset modes
 * (db_scan/db_keys) are the compatibility API and can skip or repeat rows when the
 * store changes between pages. The page buffer starts at 256 bytes, doubles on
 * NX_ERR_BUFFER_TOO_SMALL, and doubles (up to NX_SCAN_MAX_PAGE_CAP) when a page was
 * cut short by the buffer rather than by limit.
 */
typedef enum {
    NX_SCAN_AFTER = 0,  /* rows, key cursor (db_scan_after) */
    NX_SCAN_OFFSET = 1, /* rows, offset cursor (db_scan) */
    NX_KEYS_AFTER = 2,  /* keys, key cursor (db_keys_after) */
    NX_KEYS_OFFSET = 3  /* keys, offset cursor (db_keys) */
} nx_scan_mode;

typedef struct {
    const char *prefix;
    uint32_t prefix_len;
    nx_scan_mode mode;
    uint32_t limit;    /* rows per page, 0 = as many as fit */
    uint64_t offset;   /* offset modes: rows consumed so far */
    uint8_t after[NX_MAX_KEY_LEN];
    uint32_t after_len; /* key modes: last key consumed */
    uint8_t *buf;       /* page buffer, reused between pages */
    uint32_t cap;
    nx_iter it;
    uint32_t pages;    /* host pages fetched (for diagnostics/tests) */
    int done;
} nx_scan;

static inline void nx_scan_init(nx_scan *s, const char *prefix, nx_scan_mode mode, uint32_t limit) {
    s->prefix = prefix;
    s->prefix_len = nx_strlen(prefix);
    s->mode = mode;
    s->limit = limit;
    s->offset = 0;
    s->after_len = 0;
    s->buf = 0;
    s->cap = 0;
    s->it.p = s->it.end = 0;
    s->it.count = s->it.remaining = 0;
    s->pages = 0;
    s->done = 0;
}
static inline void nx_scan_free(nx_scan *s) {
    nx_free(s->buf);
    s->buf = 0;
    s->cap = 0;
    s->done = 1;
}

static inline int32_t nx__scan_call(nx_scan *s) {
    uint32_t pp = NX_PTR(s->prefix), pl = s->prefix_len, out = NX_PTR(s->buf);
    switch (s->mode) {
    case NX_SCAN_OFFSET: return nx_raw_db_scan(pp, pl, s->offset, s->limit, out, s->cap);
    case NX_KEYS_OFFSET: return nx_raw_db_keys(pp, pl, s->offset, s->limit, out, s->cap);
    case NX_KEYS_AFTER:
        return nx_raw_db_keys_after(pp, pl, NX_PTR(s->after), s->after_len, s->limit, out, s->cap);
    default: return nx_raw_db_scan_after(pp, pl, NX_PTR(s->after), s->after_len, s->limit, out, s->cap);
    }
}

/* Fetch the next page into s->it. Returns the number of rows (0 = end) or an error. */
static inline int32_t nx_scan_fetch(nx_scan *s) {
    for (;;) {
        if (!s->buf) {
            s->cap = s->cap ? s->cap : NX_INITIAL_OUT_CAP;
            s->buf = (uint8_t *)nx_malloc(s->cap);
            if (!s->buf) return NX_ERR_NO_MEMORY;
        }
        int32_t r = nx__scan_call(s);
        if (r == NX_ERR_BUFFER_TOO_SMALL && s->cap < NX_MAX_OUTPUT) {
            nx_free(s->buf);
            s->buf = 0;
            s->cap = s->cap > NX_MAX_OUTPUT / 2 ? NX_MAX_OUTPUT : s->cap * 2;
            continue;
        }
        if (r < 0) return r;
        if ((uint32_t)r > s->cap) return NX_ERR_MALFORMED;
        s->pages++;
        int32_t e = nx_iter_init(&s->it, s->buf, (uint32_t)r);
        if (e < 0) return e;
        uint32_t n = s->it.count;
        if (s->limit && n > s->limit) return NX_ERR_MALFORMED;
        if (n == 0) s->done = 1;
        /* Cut short by the buffer: a bigger page next time saves host calls. */
        if (n && (!s->limit || n < s->limit) && s->cap < NX_SCAN_MAX_PAGE_CAP) {
            uint8_t *bigger = (uint8_t *)nx_malloc(s->cap * 2);
            if (bigger) { /* keep the current page readable: move it over */
                memcpy(bigger, s->buf, (uint32_t)r);
                nx_free(s->buf);
                s->buf = bigger;
                s->cap *= 2;
                nx_iter_init(&s->it, s->buf, (uint32_t)r);
            }
        }
        return (int32_t)n;
    }
}

/* Byte-lexicographic key order (the store's order). */
static inline int nx__key_cmp(const uint8_t *a, uint32_t alen, const uint8_t *b, uint32_t blen) {
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c) return c;
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

/* Next row: 1 = row filled, 0 = no more rows, negative = error (NX_ERR_MALFORMED also
 * when a key-cursor page does not move past the cursor). */
static inline int32_t nx_scan_next(nx_scan *s, nx_row *row) {
    for (;;) {
        if (s->it.remaining) {
            int32_t r = (s->mode == NX_SCAN_AFTER || s->mode == NX_SCAN_OFFSET)
                            ? nx_iter_row(&s->it, row)
                            : nx_iter_item(&s->it, &row->key);
            if (r != 1) return r < 0 ? r : NX_ERR_MALFORMED;
            if (s->mode == NX_KEYS_AFTER || s->mode == NX_KEYS_OFFSET) {
                row->value.data = 0;
                row->value.len = 0;
            }
            if (s->mode == NX_SCAN_OFFSET || s->mode == NX_KEYS_OFFSET) {
                s->offset++;
            } else {
                /* Key cursor: rows must come strictly after the cursor, in order. A host
                 * that repeated a key would otherwise make this loop forever. */
                if (row->key.len > NX_MAX_KEY_LEN) return NX_ERR_MALFORMED;
                if (s->after_len && nx__key_cmp(row->key.data, row->key.len, s->after, s->after_len) <= 0)
                    return NX_ERR_MALFORMED;
                memcpy(s->after, row->key.data, row->key.len);
                s->after_len = row->key.len;
            }
            return 1;
        }
        if (s->it.p != s->it.end) return NX_ERR_MALFORMED; /* trailing bytes in the page */
        if (s->done) return 0;
        int32_t n = nx_scan_fetch(s);
        if (n < 0) return n;
        if (n == 0) return 0;
    }
}

/* -------------------------------------------------------------------- CRDTs */
/* All return NX_ERR_SYNC_DISABLED when the runtime runs without sync. */

static inline int32_t nx_gcounter_inc(const char *key, uint64_t delta) {
    return nx_raw_crdt_gcounter_inc(NX__STR(key), delta);
}
static inline int32_t nx_gcounter_value(const char *key, uint64_t *value) {
    uint8_t b[8];
    int32_t r = nx_raw_crdt_gcounter_value(NX__STR(key), NX_PTR(b), 8);
    if (r < 0) return r;
    if (r != 8) return NX_ERR_MALFORMED;
    *value = nx_le64(b);
    return NX_OK;
}
static inline int32_t nx_pncounter_inc(const char *key, uint64_t delta) {
    return nx_raw_crdt_pncounter_inc(NX__STR(key), delta);
}
static inline int32_t nx_pncounter_dec(const char *key, uint64_t delta) {
    return nx_raw_crdt_pncounter_dec(NX__STR(key), delta);
}
static inline int32_t nx_pncounter_value(const char *key, int64_t *value) {
    uint8_t b[8];
    int32_t r = nx_raw_crdt_pncounter_value(NX__STR(key), NX_PTR(b), 8);
    if (r < 0) return r;
    if (r != 8) return NX_ERR_MALFORMED;
    *value = (int64_t)nx_le64(b);
    return NX_OK;
}

static inline int32_t nx_lww_set(const char *key, const void *val, uint32_t len) {
    if (nx__check_value(len)) return NX_ERR_INTERNAL;
    return nx_raw_crdt_lww_set(NX__STR(key), NX_PTR(val), len);
}
static inline int32_t nx_lww_get(const char *key, nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_crdt_lww_get(NX__STR(key), NX__OUT));
}

static inline int32_t nx_lww_map_set(const char *key, const char *field, const void *val, uint32_t len) {
    if (nx__check_value(len)) return NX_ERR_INTERNAL;
    return nx_raw_crdt_lww_map_set(NX__STR(key), NX__STR(field), NX_PTR(val), len);
}
static inline int32_t nx_lww_map_remove(const char *key, const char *field) {
    return nx_raw_crdt_lww_map_remove(NX__STR(key), NX__STR(field));
}
static inline int32_t nx_lww_map_get(const char *key, const char *field, nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_crdt_lww_map_get(NX__STR(key), NX__STR(field), NX__OUT));
}
static inline int32_t nx_lww_map_contains(const char *key, const char *field) {
    return nx_raw_crdt_lww_map_contains(NX__STR(key), NX__STR(field));
}
/* Decode with nx_iter_init_bytes + nx_iter_entry. */
static inline int32_t nx_lww_map_entries(const char *key, nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_crdt_lww_map_entries(NX__STR(key), NX__OUT));
}

static inline int32_t nx_orset_add(const char *key, const char *element) {
    return nx_raw_crdt_orset_add(NX__STR(key), NX__STR(element));
}
static inline int32_t nx_orset_remove(const char *key, const char *element) {
    return nx_raw_crdt_orset_remove(NX__STR(key), NX__STR(element));
}
static inline int32_t nx_orset_contains(const char *key, const char *element) {
    return nx_raw_crdt_orset_contains(NX__STR(key), NX__STR(element));
}
/* Decode with nx_iter_init_bytes + nx_iter_item. */
static inline int32_t nx_orset_elements(const char *key, nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_crdt_orset_elements(NX__STR(key), NX__OUT));
}

/* An RGA element id (opaque). */
typedef struct {
    uint8_t bytes[NX_RGA_ID_CAP];
    uint32_t len;
} nx_rga_id;

/* Insert value after parent (NULL = at the head); the new id goes to *id.
 * Not retried on NX_ERR_BUFFER_TOO_SMALL: see the policy at the top. */
static inline int32_t nx_rga_insert(const char *key, const nx_rga_id *parent, const void *val, uint32_t len,
                                    nx_rga_id *id) {
    if (nx__check_value(len)) return NX_ERR_INTERNAL;
    int32_t r = nx_raw_crdt_rga_insert(NX__STR(key), parent ? NX_PTR(parent->bytes) : 0, parent ? parent->len : 0,
                                       NX_PTR(val), len, NX_PTR(id->bytes), NX_RGA_ID_CAP);
    if (r < 0) return r;
    if ((uint32_t)r > NX_RGA_ID_CAP) return NX_ERR_MALFORMED;
    id->len = (uint32_t)r;
    return NX_OK;
}
static inline int32_t nx_rga_delete(const char *key, const nx_rga_id *id) {
    return nx_raw_crdt_rga_delete(NX__STR(key), NX_PTR(id->bytes), id->len);
}
/* Decode with nx_iter_init_bytes + nx_iter_item. */
static inline int32_t nx_rga_values(const char *key, nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_crdt_rga_values(NX__STR(key), NX__OUT));
}
/* nx extension: the visible elements with their ids, which is how a module learns the ids
 * of elements other nodes inserted (to insert after or delete them). Decode with
 * nx_iter_init_bytes + nx_iter_rga_entry; nx_rga_id_from_slice turns an entry's id into an
 * nx_rga_id for nx_rga_insert / nx_rga_delete. */
static inline int32_t nx_rga_entries(const char *key, nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_crdt_rga_entries(NX__STR(key), NX__OUT));
}
/* Copies an id decoded from nx_rga_entries into *id: NX_OK, or NX_ERR_MALFORMED for an
 * empty id or one longer than NX_RGA_ID_CAP (the host never returns either). */
static inline int32_t nx_rga_id_from_slice(nx_slice s, nx_rga_id *id) {
    if (s.len == 0 || s.len > NX_RGA_ID_CAP) return NX_ERR_MALFORMED;
    memcpy(id->bytes, s.data, s.len);
    id->len = s.len;
    return NX_OK;
}

/* ------------------------------------------------------------------ network */

static inline int32_t nx_net_node_id(nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_net_node_id(NX__OUT));
}
/* Decode with nx_iter_init_bytes + nx_iter_peer. */
static inline int32_t nx_net_peers(nx_bytes *out) {
    NX__CALL_GROWING(out, nx_raw_net_peers(NX__OUT));
}

/* --------------------------------------------------------- text formatting */
/*
 * A fixed-size string builder for log lines (no allocation; output is truncated
 * at NX_SB_CAP - 1 bytes and stays NUL-terminated).
 *     nx_sb sb; nx_sb_init(&sb); nx_sb_str(&sb, "n = "); nx_sb_u64(&sb, n); nx_sb_log(&sb);
 */
#ifndef NX_SB_CAP
#define NX_SB_CAP 512
#endif
typedef struct {
    char buf[NX_SB_CAP];
    uint32_t len;
} nx_sb;

static inline void nx_sb_init(nx_sb *sb) {
    sb->len = 0;
    sb->buf[0] = 0;
}
static inline void nx_sb_bytes(nx_sb *sb, const void *data, uint32_t n) {
    uint32_t room = NX_SB_CAP - 1 - sb->len;
    if (n > room) n = room;
    memcpy(sb->buf + sb->len, data, n);
    sb->len += n;
    sb->buf[sb->len] = 0;
}
static inline void nx_sb_str(nx_sb *sb, const char *s) { nx_sb_bytes(sb, s, nx_strlen(s)); }
static inline void nx_sb_char(nx_sb *sb, char c) { nx_sb_bytes(sb, &c, 1); }
/* Decimal text of v into buf (at least 20 bytes); returns its length (no NUL). */
static inline uint32_t nx_fmt_u64(char *buf, uint64_t v) {
    char tmp[20];
    uint32_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (uint32_t i = 0; i < n; i++) buf[i] = tmp[n - 1 - i];
    return n;
}
static inline void nx_sb_u64(nx_sb *sb, uint64_t v) {
    char t[20];
    nx_sb_bytes(sb, t, nx_fmt_u64(t, v));
}
static inline void nx_sb_i64(nx_sb *sb, int64_t v) {
    if (v < 0) {
        nx_sb_char(sb, '-');
        nx_sb_u64(sb, (uint64_t)0 - (uint64_t)v);
    } else {
        nx_sb_u64(sb, (uint64_t)v);
    }
}
static inline void nx_sb_hex(nx_sb *sb, const void *data, uint32_t n) {
    static const char digits[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)data;
    for (uint32_t i = 0; i < n; i++) {
        nx_sb_char(sb, digits[p[i] >> 4]);
        nx_sb_char(sb, digits[p[i] & 15]);
    }
}
static inline int32_t nx_sb_log(const nx_sb *sb) { return nx_log_n(sb->buf, sb->len); }

/* Parse unsigned decimal text (no sign, no spaces). 1 = ok, 0 = empty/invalid/overflow. */
static inline int nx_parse_u64(const void *text, uint32_t len, uint64_t *out) {
    const uint8_t *p = (const uint8_t *)text;
    uint64_t v = 0;
    if (len == 0) return 0;
    for (uint32_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') return 0;
        uint64_t d = (uint64_t)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

#ifdef __cplusplus
}
#endif
#endif /* NX_H */
