// ChaCha20 stream cipher (RFC 8439 §2.1-2.4): 256-bit key, 96-bit nonce, 32-bit block counter.
//
// Bulk keystream is produced eight blocks at a time: lane i of each `SIMD8<UInt32>` state word
// belongs to block counter + i, so the 20 rounds run on vectors with no shuffling; the eight
// 64-byte blocks are then transposed back to byte order and XORed into the output.

/// The ChaCha20 stream cipher of RFC 8439. For authenticated encryption use
/// ``ChaCha20Poly1305``; raw ChaCha20 gives no integrity.
public enum ChaCha20 {
    /// Key length in bytes (32).
    public static let keyByteCount = 32
    /// Nonce length in bytes (12).
    public static let nonceByteCount = 12
    /// Keystream block length in bytes (64).
    public static let blockByteCount = 64

    /// The ChaCha quarter round on four words (RFC 8439 §2.1).
    public static func quarterRound(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32) -> (UInt32, UInt32, UInt32, UInt32) {
        var (a, b, c, d) = (a, b, c, d)
        quarter(&a, &b, &c, &d)
        return (a, b, c, d)
    }

    /// The ChaCha20 block function (RFC 8439 §2.3): the serialized 64-byte keystream block for
    /// `key`, `nonce` and block `counter`.
    /// - Throws: ``CryptoError/invalidKeyLength(algorithm:expected:actual:)`` or
    ///   ``CryptoError/invalidNonceLength(algorithm:expected:actual:)``.
    public static func block(key: [UInt8], nonce: [UInt8], counter: UInt32) throws -> [UInt8] {
        let k = try ChaCha20Key(key: key, nonce: nonce, algorithm: "ChaCha20")
        return makeBytes(count: blockByteCount) { out in
            withUnsafeTemporaryAllocation(byteCount: 512, alignment: 32) { ks in
                chacha20Keystream8(k, counter: counter, to: ks.baseAddress!)
                out.baseAddress!.copyMemory(from: ks.baseAddress!, byteCount: blockByteCount)
            }
        }
    }

    /// Encrypts or decrypts `input` (RFC 8439 §2.4): XORs it with the keystream starting at block
    /// `initialCounter`.
    /// - Throws: ``CryptoError`` for a wrong key or nonce length, or
    ///   ``CryptoError/messageTooLong(algorithm:maximumBytes:actual:)`` when the input needs
    ///   blocks past counter 2^32 - 1.
    public static func xor(key: [UInt8], nonce: [UInt8], initialCounter: UInt32, _ input: [UInt8]) throws -> [UInt8] {
        let k = try ChaCha20Key(key: key, nonce: nonce, algorithm: "ChaCha20")
        let maximum = (UInt64(UInt32.max) - UInt64(initialCounter) + 1) * 64
        guard UInt64(input.count) <= maximum else {
            throw CryptoError.messageTooLong(algorithm: "ChaCha20", maximumBytes: maximum, actual: input.count)
        }
        return input.withUnsafeBytes { src in
            makeBytes(count: src.count) { dst in
                chacha20XOR(k, counter: initialCounter, src, dst.baseAddress)
            }
        }
    }

    @inline(__always)
    static func quarter(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32) {
        a = a &+ b; d = rotl(d ^ a, 16)
        c = c &+ d; b = rotl(b ^ c, 12)
        a = a &+ b; d = rotl(d ^ a, 8)
        c = c &+ d; b = rotl(b ^ c, 7)
    }
}

/// A validated key and nonce as little-endian words.
struct ChaCha20Key {
    var key: SIMD8<UInt32>
    var nonce0: UInt32, nonce1: UInt32, nonce2: UInt32

    init(key: [UInt8], nonce: [UInt8], algorithm: String) throws {
        guard key.count == ChaCha20.keyByteCount else {
            throw CryptoError.invalidKeyLength(algorithm: algorithm, expected: ChaCha20.keyByteCount, actual: key.count)
        }
        guard nonce.count == ChaCha20.nonceByteCount else {
            throw CryptoError.invalidNonceLength(algorithm: algorithm, expected: ChaCha20.nonceByteCount, actual: nonce.count)
        }
        self.key = key.withUnsafeBytes { $0.loadUnaligned(as: SIMD8<UInt32>.self) }
        (nonce0, nonce1, nonce2) = nonce.withUnsafeBytes { (loadLE32($0.baseAddress!, 0), loadLE32($0.baseAddress!, 4), loadLE32($0.baseAddress!, 8)) }
    }
}

/// The quarter round on eight lanes.
@inline(__always)
private func quarter8(_ a: inout SIMD8<UInt32>, _ b: inout SIMD8<UInt32>, _ c: inout SIMD8<UInt32>, _ d: inout SIMD8<UInt32>) {
    a = a &+ b; d = rotl(d ^ a, 16)
    c = c &+ d; b = rotl(b ^ c, 12)
    a = a &+ b; d = rotl(d ^ a, 8)
    c = c &+ d; b = rotl(b ^ c, 7)
}

/// Computes keystream blocks `counter`...`counter + 7` (wrapping) and returns them as rows:
/// `.0.i` holds words 0-7 of block i, `.1.i` words 8-15.
@inline(__always)
private func chacha20Rows8(_ k: ChaCha20Key, counter: UInt32) -> (Lanes8, Lanes8) {
    let c0 = SIMD8<UInt32>(repeating: 0x6170_7865), c1 = SIMD8<UInt32>(repeating: 0x3320_646e)
    let c2 = SIMD8<UInt32>(repeating: 0x7962_2d32), c3 = SIMD8<UInt32>(repeating: 0x6b20_6574)
    let k0 = SIMD8(repeating: k.key[0]), k1 = SIMD8(repeating: k.key[1]), k2 = SIMD8(repeating: k.key[2]), k3 = SIMD8(repeating: k.key[3])
    let k4 = SIMD8(repeating: k.key[4]), k5 = SIMD8(repeating: k.key[5]), k6 = SIMD8(repeating: k.key[6]), k7 = SIMD8(repeating: k.key[7])
    let ctr = SIMD8(repeating: counter) &+ SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
    let n0 = SIMD8(repeating: k.nonce0), n1 = SIMD8(repeating: k.nonce1), n2 = SIMD8(repeating: k.nonce2)
    var (x0, x1, x2, x3, x4, x5, x6, x7) = (c0, c1, c2, c3, k0, k1, k2, k3)
    var (x8, x9, x10, x11, x12, x13, x14, x15) = (k4, k5, k6, k7, ctr, n0, n1, n2)
    // Ten double rounds, written out: a rolled loop keeps LLVM from scheduling across
    // iterations and costs spills of the 16 state vectors.
    @inline(__always) func doubleRound() {
        quarter8(&x0, &x4, &x8, &x12); quarter8(&x1, &x5, &x9, &x13)
        quarter8(&x2, &x6, &x10, &x14); quarter8(&x3, &x7, &x11, &x15)
        quarter8(&x0, &x5, &x10, &x15); quarter8(&x1, &x6, &x11, &x12)
        quarter8(&x2, &x7, &x8, &x13); quarter8(&x3, &x4, &x9, &x14)
    }
    doubleRound(); doubleRound(); doubleRound(); doubleRound(); doubleRound()
    doubleRound(); doubleRound(); doubleRound(); doubleRound(); doubleRound()
    let low: Lanes8 = (x0 &+ c0, x1 &+ c1, x2 &+ c2, x3 &+ c3, x4 &+ k0, x5 &+ k1, x6 &+ k2, x7 &+ k3)
    let high: Lanes8 = (x8 &+ k4, x9 &+ k5, x10 &+ k6, x11 &+ k7, x12 &+ ctr, x13 &+ n0, x14 &+ n1, x15 &+ n2)
    return (transpose8x8(low), transpose8x8(high))
}

/// Writes keystream blocks `counter`...`counter + 7` (512 bytes) to `out`.
func chacha20Keystream8(_ k: ChaCha20Key, counter: UInt32, to out: UnsafeMutableRawPointer) {
    let (lo, hi) = chacha20Rows8(k, counter: counter)
    storeBlock(0, lo.0, hi.0, out); storeBlock(1, lo.1, hi.1, out); storeBlock(2, lo.2, hi.2, out); storeBlock(3, lo.3, hi.3, out)
    storeBlock(4, lo.4, hi.4, out); storeBlock(5, lo.5, hi.5, out); storeBlock(6, lo.6, hi.6, out); storeBlock(7, lo.7, hi.7, out)
}

@inline(__always)
private func storeBlock(_ i: Int, _ l: SIMD8<UInt32>, _ h: SIMD8<UInt32>, _ out: UnsafeMutableRawPointer) {
    out.storeBytes(of: l, toByteOffset: i * 64, as: SIMD8<UInt32>.self)
    out.storeBytes(of: h, toByteOffset: i * 64 + 32, as: SIMD8<UInt32>.self)
}

/// XORs `input` with the keystream starting at block `counter` into `output` (same length;
/// may be the same memory). The caller has checked that the counter does not wrap.
func chacha20XOR(_ k: ChaCha20Key, counter: UInt32, _ input: UnsafeRawBufferPointer, _ output: UnsafeMutableRawPointer?) {
    guard var src = input.baseAddress, var dst = output else { return }
    var remaining = input.count
    var counter = counter
    while remaining >= 512 {
        let (lo, hi) = chacha20Rows8(k, counter: counter)
        xorRows(lo, hi, src, dst)
        src += 512; dst += 512; remaining -= 512
        counter &+= 8
    }
    guard remaining > 0 else { return }
    withUnsafeTemporaryAllocation(byteCount: 512, alignment: 32) { ks in
        chacha20Keystream8(k, counter: counter, to: ks.baseAddress!)
        xorBytes(src, UnsafeRawPointer(ks.baseAddress!), into: dst, count: remaining)
    }
}

/// XORs 512 input bytes at `src` with eight keystream blocks given as rows, into `dst`.
@inline(__always)
private func xorRows(_ lo: Lanes8, _ hi: Lanes8, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer) {
    xorBlock(0, lo.0, hi.0, src, dst); xorBlock(1, lo.1, hi.1, src, dst)
    xorBlock(2, lo.2, hi.2, src, dst); xorBlock(3, lo.3, hi.3, src, dst)
    xorBlock(4, lo.4, hi.4, src, dst); xorBlock(5, lo.5, hi.5, src, dst)
    xorBlock(6, lo.6, hi.6, src, dst); xorBlock(7, lo.7, hi.7, src, dst)
}

@inline(__always)
private func xorBlock(_ i: Int, _ l: SIMD8<UInt32>, _ h: SIMD8<UInt32>, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer) {
    let a = src.loadUnaligned(fromByteOffset: i * 64, as: SIMD8<UInt32>.self)
    let b = src.loadUnaligned(fromByteOffset: i * 64 + 32, as: SIMD8<UInt32>.self)
    dst.storeBytes(of: a ^ l, toByteOffset: i * 64, as: SIMD8<UInt32>.self)
    dst.storeBytes(of: b ^ h, toByteOffset: i * 64 + 32, as: SIMD8<UInt32>.self)
}

/// `out[i] = a[i] ^ b[i]` for `count` bytes, eight bytes at a time where possible.
@inline(__always)
func xorBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, into out: UnsafeMutableRawPointer, count: Int) {
    var i = 0
    while i + 8 <= count {
        let x = a.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        out.storeBytes(of: x, toByteOffset: i, as: UInt64.self)
        i += 8
    }
    while i < count {
        out.storeBytes(of: a.load(fromByteOffset: i, as: UInt8.self) ^ b.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
        i += 1
    }
}
