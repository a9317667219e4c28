/*
 * nx_embedded_rt.c - the C symbols an Embedded Swift wasm module imports, provided on top
 * of nx.h (its allocator, memory helpers and host calls). Link its object next to the
 * Swift object; see NX.swift for the full build command.
 *
 * Measured with Swift 6.3.1 (wasm32-unknown-none-wasm, -Osize): a module using arrays,
 * strings, print and a Dictionary leaves exactly these undefined:
 *   posix_memalign, free   every heap allocation (swift_slowAlloc / swift_slowDealloc)
 *   memcmp                 String / Array equality
 *   putchar                print()
 *   arc4random_buf         Hasher seeding (Dictionary, Set, hashValue)
 *   __stack_chk_guard/fail unless compiled with -Xfrontend -disable-stack-protector
 *   _swift_stdlib_*        Unicode normalisation: libswiftUnicodeDataTables.a
 * malloc/calloc/realloc are added for C code linked into the same module; memcpy,
 * memmove, memset, memcmp and strlen come from nx.h (weak definitions).
 */
#include "nx.h"

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment == 0 || (alignment & (alignment - 1)) || alignment > 65536) return 22; /* EINVAL */
    void *p = nx_malloc_aligned(size, alignment);
    if (!p) return 12; /* ENOMEM */
    *out = p;
    return 0;
}
void *malloc(size_t size) { return nx_malloc(size); }
void *calloc(size_t count, size_t size) { return nx_calloc(count, size); }
void *realloc(void *p, size_t size) { return nx_realloc(p, size); }
void free(void *p) { nx_free(p); }

/* print() line buffer: one host_log_v2 call per line (or per full buffer). */
#define NX_RT_LINE_CAP 1024u
static char nx_rt_line[NX_RT_LINE_CAP];
static uint32_t nx_rt_line_len;

void nx_rt_flush_print(void) {
    if (nx_rt_line_len) nx_log_n(nx_rt_line, nx_rt_line_len);
    nx_rt_line_len = 0;
}

int putchar(int c) {
    if (c == '\n') {
        nx_log_n(nx_rt_line, nx_rt_line_len); /* also logs empty lines */
        nx_rt_line_len = 0;
        return c;
    }
    nx_rt_line[nx_rt_line_len++] = (char)c;
    if (nx_rt_line_len == NX_RT_LINE_CAP) nx_rt_flush_print();
    return c;
}

/* Cannot fail in its C signature, so a host failure traps. */
void arc4random_buf(void *buf, size_t n) {
    uint8_t *p = (uint8_t *)buf;
    while (n) {
        uint32_t chunk = n > NX_MAX_RANDOM_LEN ? NX_MAX_RANDOM_LEN : (uint32_t)n;
        if (nx_random_bytes(p, chunk) != NX_OK) nx_abort("arc4random_buf: random_bytes failed");
        p += chunk;
        n -= chunk;
    }
}
