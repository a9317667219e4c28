/* The driver shared by simd.c and simd_scalar.c: inputs, the call sequence and
 * the checksum. Included after the kernels (dot, saxpy, classify, blend,
 * minmax), so both builds do exactly the same work and must agree bit for bit. */
#define NF (1 << 16)
#define NB (1 << 20)
static float xs[NF] __attribute__((aligned(16)));
static float ys[NF] __attribute__((aligned(16)));
static u8 bytes[NB] __attribute__((aligned(16)));
static u8 img_a[NB] __attribute__((aligned(16)));
static u8 img_b[NB] __attribute__((aligned(16)));
static i32 ints[NF] __attribute__((aligned(16)));

static volatile i32 reps_v = 70;

EXPORT i64 run(void) {
    rng_t r;
    rng_seed(&r, 5);
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789  ,.ABCXYZ\n";
    for (i32 i = 0; i < NF; i++) {
        xs[i] = (float)rng_unit(&r) - 0.5f;
        ys[i] = (float)rng_unit(&r) * 2.0f;
        ints[i] = (i32)rng_u32(&r) >> 3;
    }
    for (i32 i = 0; i < NB; i++) {
        u32 v = rng_u32(&r);
        bytes[i] = (u8)alphabet[v % (sizeof alphabet - 1)];
        img_a[i] = (u8)(v >> 8);
        img_b[i] = (u8)(v >> 16);
    }
    u64 h = 0;
    i32 reps = reps_v;
    for (i32 rep = 0; rep < reps; rep++) {
        for (i32 k = 0; k < 8; k++) {
            float d = dot(xs, ys, NF);
            saxpy(ys, xs, d * 0.001f + 0.5f, NF);
            h = mix64(h, f32_bits(d));
        }
        h = mix64(h, classify(bytes, NB));
        blend(img_a, img_a, img_b, NB, (u16)(rep * 37 & 255));
        h = mix64(h, ((u64)img_a[rep * 4099 % NB] << 8) | img_a[(rep * 7 + 3) % NB]);
        h = mix64(h, minmax(ints, NF));
        ints[rep] ^= (i32)h;
    }
    return (i64)h;
}
