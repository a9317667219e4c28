// SHA-256 (FIPS 180-4), one-shot and incremental.
//
// The x86 SHA extensions cannot be reached from Swift, so the rounds are scalar (rorx/andn with
// BMI). What can be parallelised is the message schedule: it does not depend on the chaining
// state, so for bulk input the schedules of eight blocks are computed in SIMD8 lanes (one block
// per lane) and the rounds only add W[t] + K[t] from memory. The schedule of the next eight
// blocks is built word by word between the rounds of the current ones, keeping the vector
// units busy while the integer units run the round chain. Inputs of fewer than eight blocks
// (and the padding block) use a scalar schedule kept in 16 rotating locals.

/// SHA-256 hash function (FIPS 180-4).
///
/// ```swift
/// let digest = SHA256.hash(Array("abc".utf8))      // 32 bytes
/// var hasher = SHA256()
/// hasher.update(part1); hasher.update(part2)
/// let same = hasher.finalize()
/// ```
public struct SHA256 {
    /// Length of a digest in bytes (32).
    public static let byteCount = 32
    /// Length of the internal block in bytes (64); HMAC pads keys to this size.
    public static let blockByteCount = 64

    private var state: SHA256State
    /// Pending input that does not yet fill a block (64 bytes, inline: no heap allocation).
    private var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)
    private var bufferCount: Int
    private var totalBytes: UInt64

    /// Creates a hasher in the initial state.
    public init() {
        state = SHA256State()
        buffer = (0, 0, 0, 0, 0, 0, 0, 0)
        bufferCount = 0
        totalBytes = 0
    }

    /// Absorbs `bytes`. May be called any number of times with splits anywhere.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var input = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        totalBytes &+= UInt64(remaining)
        var s = state
        if bufferCount > 0 {
            let take = min(SHA256.blockByteCount - bufferCount, remaining)
            let filled = bufferCount
            withUnsafeMutableBytes(of: &buffer) { buf in
                buf.baseAddress!.advanced(by: filled).copyMemory(from: input, byteCount: take)
                if filled + take == SHA256.blockByteCount {
                    SHA256State.compress(&s, UnsafeRawPointer(buf.baseAddress!), blocks: 1)
                }
            }
            bufferCount = (filled + take) % SHA256.blockByteCount
            input += take
            remaining -= take
        }
        let fullBlocks = remaining / SHA256.blockByteCount
        if fullBlocks > 0 {
            SHA256State.compress(&s, input, blocks: fullBlocks)
            input += fullBlocks * SHA256.blockByteCount
            remaining -= fullBlocks * SHA256.blockByteCount
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &buffer) { buf in
                buf.baseAddress!.copyMemory(from: input, byteCount: remaining)
            }
            bufferCount = remaining
        }
        state = s
    }

    /// Absorbs `bytes`. May be called any number of times with splits anywhere.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Pads the message, returns the 32-byte digest, and resets the hasher to the
    /// initial state so it can be reused for a new message.
    public mutating func finalize() -> [UInt8] {
        let bitLength = totalBytes &* 8
        var s = state
        let pending = bufferCount
        withUnsafeMutableBytes(of: &buffer) { buf in
            let p = buf.baseAddress!
            p.storeBytes(of: 0x80, toByteOffset: pending, as: UInt8.self)
            var used = pending + 1
            if used > 56 {
                _ = (p + used).initializeMemory(as: UInt8.self, repeating: 0, count: 64 - used)
                SHA256State.compress(&s, UnsafeRawPointer(p), blocks: 1)
                used = 0
            }
            _ = (p + used).initializeMemory(as: UInt8.self, repeating: 0, count: 56 - used)
            p.storeBytes(of: bitLength.bigEndian, toByteOffset: 56, as: UInt64.self)
            SHA256State.compress(&s, UnsafeRawPointer(p), blocks: 1)
        }
        self = SHA256()
        return makeBytes(count: SHA256.byteCount) { out in s.write(to: out.baseAddress!) }
    }

    /// Returns the SHA-256 digest (32 bytes) of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// Returns the SHA-256 digest (32 bytes) of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }
}

/// The eight working words H0...H7.
struct SHA256State {
    var h0: UInt32 = 0x6a09_e667, h1: UInt32 = 0xbb67_ae85, h2: UInt32 = 0x3c6e_f372, h3: UInt32 = 0xa54f_f53a
    var h4: UInt32 = 0x510e_527f, h5: UInt32 = 0x9b05_688c, h6: UInt32 = 0x1f83_d9ab, h7: UInt32 = 0x5be0_cd19

    /// Writes the digest (big-endian words) to `out` (32 bytes).
    func write(to out: UnsafeMutableRawPointer) {
        storeBE32(out, 0, h0); storeBE32(out, 4, h1); storeBE32(out, 8, h2); storeBE32(out, 12, h3)
        storeBE32(out, 16, h4); storeBE32(out, 20, h5); storeBE32(out, 24, h6); storeBE32(out, 28, h7)
    }

    /// Compresses `blocks` consecutive 64-byte blocks starting at `p` into `state`.
    static func compress(_ state: inout SHA256State, _ p: UnsafeRawPointer, blocks: Int) {
        var block = p
        var remaining = blocks
        if remaining >= 8 {
            // A block's message schedule does not depend on the chaining state, so the
            // schedules of eight blocks are computed together in SIMD lanes (lane i = block i)
            // and the serial scalar rounds only add the precomputed W[t] + K[t]. While one
            // group of eight blocks goes through the rounds, the next group's schedule is
            // built a vector at a time between rounds, so the vector units work while the
            // integer units are busy with the round chain.
            withUnsafeTemporaryAllocation(of: SIMD8<UInt32>.self, capacity: 3 * 64) { buffers in
                let raw = buffers.baseAddress!
                var current = raw + 64, next = raw + 128
                let k = sha256RoundConstants
                let first = ScheduleBuilder(w: raw, wk: current, k: k)
                first.load(block)
                for t in 16..<64 { first.extend(t) }
                while remaining >= 8 {
                    let builder = remaining >= 16 ? ScheduleBuilder(w: raw, wk: next, k: k) : nil
                    builder?.load(block + 8 * 64)
                    let wk = UnsafeRawPointer(current).assumingMemoryBound(to: UInt32.self)
                    for lane in 0..<8 {
                        // Lanes 0-5 each extend the next schedule by eight words (16..<64).
                        state.roundsFromSchedule(wk + lane, extending: lane < 6 ? builder : nil, from: 16 + 8 * lane)
                    }
                    swap(&current, &next)
                    block += 8 * 64
                    remaining -= 8
                }
            }
        }
        for _ in 0..<remaining {
            state.compressScalar(block)
            block += 64
        }
    }

    /// Builds the W[t] + K[t] schedule of eight blocks (lane i = block i) in steps.
    struct ScheduleBuilder {
        /// Raw W[t] (needed for later words).
        let w: UnsafeMutablePointer<SIMD8<UInt32>>
        /// W[t] + K[t], read by the rounds.
        let wk: UnsafeMutablePointer<SIMD8<UInt32>>
        /// The round constants (captured once: reading the global lazily costs a call).
        let k: UnsafePointer<UInt32>

        /// W[0..<16]: the eight blocks at `p`, transposed and byte-swapped.
        @inline(__always)
        func load(_ p: UnsafeRawPointer) {
            let low = transpose8x8(SHA256State.loadRows(p)), high = transpose8x8(SHA256State.loadRows(p + 32))
            w[0] = bswap(low.0); w[1] = bswap(low.1); w[2] = bswap(low.2); w[3] = bswap(low.3)
            w[4] = bswap(low.4); w[5] = bswap(low.5); w[6] = bswap(low.6); w[7] = bswap(low.7)
            w[8] = bswap(high.0); w[9] = bswap(high.1); w[10] = bswap(high.2); w[11] = bswap(high.3)
            w[12] = bswap(high.4); w[13] = bswap(high.5); w[14] = bswap(high.6); w[15] = bswap(high.7)
            for t in 0..<16 { wk[t] = w[t] &+ SIMD8(repeating: k[t]) }
        }

        /// W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16], for t >= 16 in order.
        @inline(__always)
        func extend(_ t: Int) {
            let word = sigma1(w[t - 2]) &+ w[t - 7] &+ sigma0(w[t - 15]) &+ w[t - 16]
            w[t] = word
            wk[t] = word &+ SIMD8(repeating: k[t])
        }

        @inline(__always)
        private func bswap(_ x: SIMD8<UInt32>) -> SIMD8<UInt32> {
            (x &<< 24) | ((x & SIMD8(repeating: 0xff00)) &<< 8) | ((x &>> 8) & SIMD8(repeating: 0xff00)) | (x &>> 24)
        }

        @inline(__always)
        private func sigma0(_ x: SIMD8<UInt32>) -> SIMD8<UInt32> { rotr(x, 7) ^ rotr(x, 18) ^ (x &>> 3) }

        @inline(__always)
        private func sigma1(_ x: SIMD8<UInt32>) -> SIMD8<UInt32> { rotr(x, 17) ^ rotr(x, 19) ^ (x &>> 10) }
    }

    /// Eight rows of 32 bytes at a 64-byte stride (one half of eight consecutive blocks).
    @inline(__always)
    static func loadRows(_ p: UnsafeRawPointer) -> Lanes8 {
        (p.loadUnaligned(as: SIMD8<UInt32>.self), (p + 64).loadUnaligned(as: SIMD8<UInt32>.self),
         (p + 128).loadUnaligned(as: SIMD8<UInt32>.self), (p + 192).loadUnaligned(as: SIMD8<UInt32>.self),
         (p + 256).loadUnaligned(as: SIMD8<UInt32>.self), (p + 320).loadUnaligned(as: SIMD8<UInt32>.self),
         (p + 384).loadUnaligned(as: SIMD8<UInt32>.self), (p + 448).loadUnaligned(as: SIMD8<UInt32>.self))
    }

    /// The 64 rounds of one block whose W[t] + K[t] are at `wk[8 * t]`; meanwhile extends
    /// `builder` (if any) by the eight schedule words starting at `from`, one per eight rounds.
    @inline(__always)
    private mutating func roundsFromSchedule(_ wk: UnsafePointer<UInt32>, extending builder: ScheduleBuilder?, from: Int) {
        var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
        var bc = b ^ c
        // Eight rounds per step, the working variables rotating by argument order; each
        // step also computes one word of the next group's schedule (vector units, in parallel).
        @inline(__always) func eightRounds(_ t: Int) {
            builder?.extend(from + t / 8)
            let w = wk + 8 * t
            SHA256State.round(a, b, c, &d, e, f, g, &h, &bc, w[0])
            SHA256State.round(h, a, b, &c, d, e, f, &g, &bc, w[8])
            SHA256State.round(g, h, a, &b, c, d, e, &f, &bc, w[16])
            SHA256State.round(f, g, h, &a, b, c, d, &e, &bc, w[24])
            SHA256State.round(e, f, g, &h, a, b, c, &d, &bc, w[32])
            SHA256State.round(d, e, f, &g, h, a, b, &c, &bc, w[40])
            SHA256State.round(c, d, e, &f, g, h, a, &b, &bc, w[48])
            SHA256State.round(b, c, d, &e, f, g, h, &a, &bc, w[56])
        }
        eightRounds(0); eightRounds(8); eightRounds(16); eightRounds(24)
        eightRounds(32); eightRounds(40); eightRounds(48); eightRounds(56)
        h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
        h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
    }

    /// One block with the schedule computed alongside the rounds (for the last 0-7 blocks).
    private mutating func compressScalar(_ block: UnsafeRawPointer) {
        let k = sha256RoundConstants
        var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
        var bc = b ^ c
        // The message schedule lives in 16 rotating locals (w[t mod 16]).
        var w0 = loadBE32(block, 0), w1 = loadBE32(block, 4), w2 = loadBE32(block, 8), w3 = loadBE32(block, 12)
        var w4 = loadBE32(block, 16), w5 = loadBE32(block, 20), w6 = loadBE32(block, 24), w7 = loadBE32(block, 28)
        var w8 = loadBE32(block, 32), w9 = loadBE32(block, 36), w10 = loadBE32(block, 40), w11 = loadBE32(block, 44)
        var w12 = loadBE32(block, 48), w13 = loadBE32(block, 52), w14 = loadBE32(block, 56), w15 = loadBE32(block, 60)
        var t = 0
        while true {
            SHA256State.round(a, b, c, &d, e, f, g, &h, &bc, k[t] &+ w0)
            SHA256State.round(h, a, b, &c, d, e, f, &g, &bc, k[t + 1] &+ w1)
            SHA256State.round(g, h, a, &b, c, d, e, &f, &bc, k[t + 2] &+ w2)
            SHA256State.round(f, g, h, &a, b, c, d, &e, &bc, k[t + 3] &+ w3)
            SHA256State.round(e, f, g, &h, a, b, c, &d, &bc, k[t + 4] &+ w4)
            SHA256State.round(d, e, f, &g, h, a, b, &c, &bc, k[t + 5] &+ w5)
            SHA256State.round(c, d, e, &f, g, h, a, &b, &bc, k[t + 6] &+ w6)
            SHA256State.round(b, c, d, &e, f, g, h, &a, &bc, k[t + 7] &+ w7)
            SHA256State.round(a, b, c, &d, e, f, g, &h, &bc, k[t + 8] &+ w8)
            SHA256State.round(h, a, b, &c, d, e, f, &g, &bc, k[t + 9] &+ w9)
            SHA256State.round(g, h, a, &b, c, d, e, &f, &bc, k[t + 10] &+ w10)
            SHA256State.round(f, g, h, &a, b, c, d, &e, &bc, k[t + 11] &+ w11)
            SHA256State.round(e, f, g, &h, a, b, c, &d, &bc, k[t + 12] &+ w12)
            SHA256State.round(d, e, f, &g, h, a, b, &c, &bc, k[t + 13] &+ w13)
            SHA256State.round(c, d, e, &f, g, h, a, &b, &bc, k[t + 14] &+ w14)
            SHA256State.round(b, c, d, &e, f, g, h, &a, &bc, k[t + 15] &+ w15)
            t += 16
            if t == 64 { break }
            // Next 16 schedule words: w[t] = σ1(w[t-2]) + w[t-7] + σ0(w[t-15]) + w[t-16].
            w0 = w0 &+ SHA256State.sigma1(w14) &+ w9 &+ SHA256State.sigma0(w1)
            w1 = w1 &+ SHA256State.sigma1(w15) &+ w10 &+ SHA256State.sigma0(w2)
            w2 = w2 &+ SHA256State.sigma1(w0) &+ w11 &+ SHA256State.sigma0(w3)
            w3 = w3 &+ SHA256State.sigma1(w1) &+ w12 &+ SHA256State.sigma0(w4)
            w4 = w4 &+ SHA256State.sigma1(w2) &+ w13 &+ SHA256State.sigma0(w5)
            w5 = w5 &+ SHA256State.sigma1(w3) &+ w14 &+ SHA256State.sigma0(w6)
            w6 = w6 &+ SHA256State.sigma1(w4) &+ w15 &+ SHA256State.sigma0(w7)
            w7 = w7 &+ SHA256State.sigma1(w5) &+ w0 &+ SHA256State.sigma0(w8)
            w8 = w8 &+ SHA256State.sigma1(w6) &+ w1 &+ SHA256State.sigma0(w9)
            w9 = w9 &+ SHA256State.sigma1(w7) &+ w2 &+ SHA256State.sigma0(w10)
            w10 = w10 &+ SHA256State.sigma1(w8) &+ w3 &+ SHA256State.sigma0(w11)
            w11 = w11 &+ SHA256State.sigma1(w9) &+ w4 &+ SHA256State.sigma0(w12)
            w12 = w12 &+ SHA256State.sigma1(w10) &+ w5 &+ SHA256State.sigma0(w13)
            w13 = w13 &+ SHA256State.sigma1(w11) &+ w6 &+ SHA256State.sigma0(w14)
            w14 = w14 &+ SHA256State.sigma1(w12) &+ w7 &+ SHA256State.sigma0(w15)
            w15 = w15 &+ SHA256State.sigma1(w13) &+ w8 &+ SHA256State.sigma0(w0)
        }
        h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
        h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
    }

    /// One SHA-256 round. Callers rotate the argument order instead of moving eight words;
    /// `kw` is K[t] + W[t]. `bc` carries b XOR c between rounds: Maj(a, b, c) =
    /// b ^ ((a ^ b) & (b ^ c)), and this round's a ^ b is the next round's b ^ c.
    @inline(__always)
    private static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ bc: inout UInt32, _ kw: UInt32
    ) {
        let bigSigma1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
        let choose = g ^ (e & (f ^ g))
        let t1 = ((h &+ kw) &+ choose) &+ bigSigma1
        let bigSigma0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
        let ab = a ^ b
        let majority = b ^ (ab & bc)
        bc = ab
        d &+= t1
        h = (t1 &+ majority) &+ bigSigma0
    }

    @inline(__always)
    private static func sigma0(_ x: UInt32) -> UInt32 { rotr(x, 7) ^ rotr(x, 18) ^ (x &>> 3) }

    @inline(__always)
    private static func sigma1(_ x: UInt32) -> UInt32 { rotr(x, 17) ^ rotr(x, 19) ^ (x &>> 10) }
}

/// FIPS 180-4 §4.2.2 round constants, in a never-freed table so the hot loop indexes a raw
/// pointer (no Array bounds checks or retain/release).
private let sha256RoundConstants: UnsafePointer<UInt32> = {
    let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
    let table = UnsafeMutablePointer<UInt32>.allocate(capacity: 64)
    table.initialize(from: k, count: 64)
    return UnsafePointer(table)
}()
