/* bulk: memory.copy / memory.fill heavy code (built with -mbulk-memory, so
 * __builtin_memcpy/memmove/memset become single bulk-memory instructions).
 * A software blitter copies and fills rectangles of a 1024x768 8-bit
 * framebuffer (many short and medium copies), a gap buffer editor moves its
 * gap with overlapping memmoves, and a double buffer swaps whole frames with
 * large copies. Stresses bulk-op dispatch overhead and the host memcpy. */
#include "bench.h"

#define W 1024
#define H 768
static u8 fb[W * H];
static u8 back[W * H];
static u8 sprites[64 * 64 * 16];

#define GAPBUF (1u << 20)
static u8 text[GAPBUF];

static volatile i32 frames_v = 1600;

static NOINLINE void blit(u8 *dst, const u8 *src, i32 x, i32 y, i32 w, i32 h, i32 src_stride) {
    for (i32 row = 0; row < h; row++)
        __builtin_memcpy(dst + (y + row) * W + x, src + row * src_stride, (size_t)w);
}

static NOINLINE void fill_rect(u8 *dst, i32 x, i32 y, i32 w, i32 h, u8 color) {
    for (i32 row = 0; row < h; row++) __builtin_memset(dst + (y + row) * W + x, color, (size_t)w);
}

static NOINLINE void scroll(u8 *dst, i32 dy) {
    /* overlapping move of the whole frame by dy rows */
    __builtin_memmove(dst, dst + dy * W, (size_t)(H - dy) * W);
    __builtin_memset(dst + (H - dy) * W, 0, (size_t)dy * W);
}

static u32 gap_start, gap_end, text_len;

/* Move the gap so it starts at pos: one overlapping memmove either way. */
static NOINLINE void gap_move(u32 pos) {
    if (pos < gap_start) {
        u32 n = gap_start - pos;
        __builtin_memmove(text + gap_end - n, text + pos, n);
        gap_start -= n; gap_end -= n;
    } else if (pos > gap_start) {
        u32 n = pos - gap_start;
        __builtin_memmove(text + gap_start, text + gap_end, n);
        gap_start += n; gap_end += n;
    }
}

static NOINLINE void gap_insert(const u8 *s, u32 n) {
    if (gap_end - gap_start < n) return;
    __builtin_memcpy(text + gap_start, s, n);
    gap_start += n; text_len += n;
}

static NOINLINE void gap_delete(u32 n) {
    if (GAPBUF - gap_end < n) n = GAPBUF - gap_end;
    gap_end += n; text_len -= n;
}

EXPORT i64 run(void) {
    rng_t r;
    rng_seed(&r, 2024);
    for (u32 i = 0; i < sizeof sprites; i++) sprites[i] = (u8)rng_u32(&r);
    u64 h = 0;
    i32 frames = frames_v;
    for (i32 f = 0; f < frames; f++) {
        fill_rect(fb, 0, 0, W, H, (u8)f);
        for (i32 k = 0; k < 300; k++) {
            i32 w = 8 + (i32)rng_below(&r, 57), hh = 8 + (i32)rng_below(&r, 57);
            i32 x = (i32)rng_below(&r, W - w), y = (i32)rng_below(&r, H - hh);
            if (k & 3) blit(fb, sprites + (k & 15) * 4096, x, y, w, hh, 64);
            else fill_rect(fb, x, y, w, hh, (u8)k);
        }
        for (i32 k = 0; k < 20; k++) {
            i32 w = 64 + (i32)rng_below(&r, 400), hh = 32 + (i32)rng_below(&r, 200);
            blit(back, fb + (i32)rng_below(&r, 100) * W, (i32)rng_below(&r, W - w), (i32)rng_below(&r, H - hh), w, hh, W);
        }
        scroll(fb, 1 + (f & 7));
        __builtin_memcpy(back, fb, W * H / 2);
        h = mix64(h, ((u64)fb[(f * 7919) % (W * H)] << 8) | back[(f * 104729) % (W * H)]);
    }
    /* gap buffer editing session */
    gap_start = 0; gap_end = GAPBUF; text_len = 0;
    static const u8 words[] = "the quick brown fox jumps over the lazy dog while the interpreter copies bytes ";
    for (i32 i = 0; i < 6000; i++) gap_insert(words + (i % 40), 16 + (i % 24));
    for (i32 e = 0; e < 30000; e++) {
        u32 pos = rng_below(&r, text_len + 1);
        gap_move(pos);
        if (e % 3 == 0) gap_delete(1 + rng_below(&r, 40));
        else gap_insert(words + (e % 50), 1 + rng_below(&r, 30));
    }
    gap_move(0);
    u32 sh = 2166136261u;
    for (u32 i = gap_end; i < GAPBUF; i += 61) sh = mix32(sh, text[i]);
    for (u32 i = 0; i < W * H; i += 4093) sh = mix32(sh, fb[i] ^ back[i]);
    return (i64)mix64(h, ((u64)sh << 32) | text_len);
}
