/* mandelbrot: escape-time fractal in f64 plus a Julia set in f32. Stresses
 * float multiply/add/compare in a tight data-dependent loop and float<->int
 * conversions. */
#include "bench.h"

static volatile i32 size_v = 650;

static NOINLINE u32 mandel_f64(i32 w, i32 h, i32 max_iter) {
    u32 hash = 2166136261u;
    for (i32 py = 0; py < h; py++) {
        double ci = -1.25 + 2.5 * py / h;
        u32 byte = 0;
        for (i32 px = 0; px < w; px++) {
            double cr = -2.0 + 2.6 * px / w;
            double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
            i32 it = 0;
            while (it < max_iter && zr2 + zi2 <= 4.0) {
                zi = 2.0 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                it++;
            }
            byte = (byte << 1) | (it == max_iter);
            if ((px & 7) == 7) { hash = mix32(hash, byte); byte = 0; }
            hash += (u32)it;
        }
    }
    return hash;
}

static NOINLINE u32 julia_f32(i32 w, i32 h, i32 max_iter) {
    const float cr = -0.8f, ci = 0.156f;
    u32 hash = 0;
    float sum = 0;
    for (i32 py = 0; py < h; py++) {
        for (i32 px = 0; px < w; px++) {
            float zr = -1.5f + 3.0f * (float)px / (float)w;
            float zi = -1.0f + 2.0f * (float)py / (float)h;
            i32 it = 0;
            while (it < max_iter) {
                float r2 = zr * zr, i2 = zi * zi;
                if (r2 + i2 > 4.0f) break;
                zi = 2.0f * zr * zi + ci;
                zr = r2 - i2 + cr;
                it++;
            }
            sum += (float)it * 0.001f;
            hash = hash * 33 + (u32)it + (u32)(i32)(zr * 16.0f);
        }
    }
    return hash ^ f32_bits(sum);
}

EXPORT i32 run(void) {
    i32 s = size_v;
    u32 a = mandel_f64(s, s, 200);
    u32 b = julia_f32(s, s, 200);
    return (i32)(a * 31 + b);
}
