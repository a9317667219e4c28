// Poly1305 one-time authenticator (RFC 8439 §2.5).
//
// Arithmetic modulo p = 2^130 - 5 in radix 2^64: the accumulator is h0 + h1·2^64 + h2·2^128
// with a small h2, r = r0 + r1·2^64. Clamping makes r1 divisible by 4, so the cross term
// h1·r1·2^128 ≡ h1·(5·r1/4) (mod p), which lets every product fit in 128 bits with four
// full-width multiplications per 16-byte block.

/// Poly1305 message authentication code (RFC 8439 §2.5). A key must authenticate only one
/// message; ``ChaCha20Poly1305`` derives a fresh key per nonce.
public struct Poly1305 {
    /// One-time key length in bytes (32: r then s).
    public static let keyByteCount = 32
    /// Tag length in bytes (16).
    public static let tagByteCount = 16

    private let r0: UInt64, r1: UInt64
    /// 5·r1/4, the multiplier for terms that wrap past 2^130.
    private let s1: UInt64
    private let pad0: UInt64, pad1: UInt64
    private var h0: UInt64 = 0, h1: UInt64 = 0, h2: UInt64 = 0
    /// Pending bytes of an incomplete 16-byte block.
    private var buffer: (UInt64, UInt64) = (0, 0)
    private var bufferCount = 0

    /// Creates an authenticator for a 32-byte one-time `key`.
    /// - Throws: ``CryptoError/invalidKeyLength(algorithm:expected:actual:)``.
    public init(key: [UInt8]) throws {
        guard key.count == Poly1305.keyByteCount else {
            throw CryptoError.invalidKeyLength(algorithm: "Poly1305", expected: Poly1305.keyByteCount, actual: key.count)
        }
        self = key.withUnsafeBytes { Poly1305(keyBytes: $0.baseAddress!) }
    }

    /// Creates an authenticator from 32 key bytes at `keyBytes`.
    init(keyBytes p: UnsafeRawPointer) {
        r0 = loadLE64(p, 0) & 0x0fff_fffc_0fff_ffff
        r1 = loadLE64(p, 8) & 0x0fff_fffc_0fff_fffc
        s1 = r1 &+ (r1 &>> 2)
        pad0 = loadLE64(p, 16)
        pad1 = loadLE64(p, 24)
    }

    /// Absorbs message bytes. May be called any number of times with splits anywhere.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var input = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        if bufferCount > 0 {
            let take = min(16 - bufferCount, remaining)
            let offset = bufferCount
            withUnsafeMutableBytes(of: &buffer) { $0.baseAddress!.advanced(by: offset).copyMemory(from: input, byteCount: take) }
            bufferCount += take
            input += take
            remaining -= take
            guard bufferCount == 16 else { return }
            var block = buffer
            withUnsafeBytes(of: &block) { absorb($0.baseAddress!, blocks: 1, highBit: 1) }
            bufferCount = 0
        }
        let blocks = remaining / 16
        if blocks > 0 {
            absorb(input, blocks: blocks, highBit: 1)
            input += blocks * 16
            remaining -= blocks * 16
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &buffer) { $0.baseAddress!.copyMemory(from: input, byteCount: remaining) }
            bufferCount = remaining
        }
    }

    /// Absorbs message bytes. May be called any number of times with splits anywhere.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Zero-pads a pending partial block to 16 bytes and absorbs it as a full block (the
    /// `pad16` of the AEAD construction, RFC 8439 §2.8).
    mutating func padToBlockBoundary() {
        guard bufferCount > 0 else { return }
        var block = buffer
        let used = bufferCount
        withUnsafeMutableBytes(of: &block) { _ = ($0.baseAddress! + used).initializeMemory(as: UInt8.self, repeating: 0, count: 16 - used) }
        withUnsafeBytes(of: &block) { absorb($0.baseAddress!, blocks: 1, highBit: 1) }
        bufferCount = 0
    }

    /// Returns the 16-byte tag. The authenticator is spent: a Poly1305 key must not be reused.
    public mutating func finalize() -> [UInt8] {
        if bufferCount > 0 {
            // Final partial block: append 0x01 and zero-fill, without the 2^128 bit.
            var block = buffer
            let used = bufferCount
            withUnsafeMutableBytes(of: &block) { b in
                b[used] = 1
                _ = (b.baseAddress! + used + 1).initializeMemory(as: UInt8.self, repeating: 0, count: 15 - used)
            }
            withUnsafeBytes(of: &block) { absorb($0.baseAddress!, blocks: 1, highBit: 0) }
            bufferCount = 0
        }
        // Fully reduce h mod p: h < 2p here, so subtract p once if h + 5 reaches 2^130.
        let (g0, c0) = h0.addingReportingOverflow(5)
        let (g1, c1) = h1.addingReportingOverflow(c0 ? 1 : 0)
        let g2 = h2 &+ (c1 ? 1 : 0)
        let useG = 0 &- (g2 &>> 2)   // all ones when h + 5 >= 2^130, constant time
        let f0 = (g0 & useG) | (h0 & ~useG)
        let f1 = (g1 & useG) | (h1 & ~useG)
        // tag = (h + s) mod 2^128
        let (t0, carry) = f0.addingReportingOverflow(pad0)
        let t1 = f1 &+ pad1 &+ (carry ? 1 : 0)
        return makeBytes(count: Poly1305.tagByteCount) { out in
            storeLE64(out.baseAddress!, 0, t0)
            storeLE64(out.baseAddress!, 8, t1)
        }
    }

    /// Returns the 16-byte Poly1305 tag of `message` under the one-time `key` (32 bytes).
    /// - Throws: ``CryptoError/invalidKeyLength(algorithm:expected:actual:)``.
    public static func authenticate(key: [UInt8], message: [UInt8]) throws -> [UInt8] {
        var mac = try Poly1305(key: key)
        mac.update(message)
        return mac.finalize()
    }

    /// h = (h + block + highBit·2^128)·r mod p (partially reduced) for each 16-byte block.
    private mutating func absorb(_ p: UnsafeRawPointer, blocks: Int, highBit: UInt64) {
        var h0 = self.h0, h1 = self.h1, h2 = self.h2
        let r0 = self.r0, r1 = self.r1, s1 = self.s1
        var block = p
        for _ in 0..<blocks {
            let (a0, carry0) = h0.addingReportingOverflow(loadLE64(block, 0))
            let (a1, carry1) = h1.addingReportingOverflow(loadLE64(block, 8))
            let (b1, carry2) = a1.addingReportingOverflow(carry0 ? 1 : 0)
            h0 = a0
            h1 = b1
            h2 = h2 &+ highBit &+ (carry1 ? 1 : 0) &+ (carry2 ? 1 : 0)

            // d = h·r, with the 2^128-and-above terms folded through 2^130 ≡ 5.
            let d0 = add128(h0.multipliedFullWidth(by: r0), h1.multipliedFullWidth(by: s1))
            var d1 = add128(h0.multipliedFullWidth(by: r1), h1.multipliedFullWidth(by: r0))
            d1 = add128(d1, (0, h2 &* s1))
            var d2 = h2 &* r0

            // Carry into 64-bit limbs, then fold bits 130 and up: c·2^130 ≡ 5c.
            h0 = d0.low
            d1 = add128(d1, (0, d0.high))
            h1 = d1.low
            d2 = d2 &+ d1.high
            let fold = (d2 & ~3) &+ (d2 &>> 2)
            h2 = d2 & 3
            let (n0, carry4) = h0.addingReportingOverflow(fold)
            let (n1, carry5) = h1.addingReportingOverflow(carry4 ? 1 : 0)
            h0 = n0
            h1 = n1
            h2 &+= carry5 ? 1 : 0
            block += 16
        }
        self.h0 = h0; self.h1 = h1; self.h2 = h2
    }
}

/// 128-bit addition of (high, low) pairs, wrapping.
@inline(__always)
private func add128(_ a: (high: UInt64, low: UInt64), _ b: (high: UInt64, low: UInt64)) -> (high: UInt64, low: UInt64) {
    let (low, carry) = a.low.addingReportingOverflow(b.low)
    return (a.high &+ b.high &+ (carry ? 1 : 0), low)
}
