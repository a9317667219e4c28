// Shared pieces of NXCrypto: the error type, constant-time comparison and the small
// load/store/rotate helpers the algorithm files inline into their hot loops.

/// Errors thrown by NXCrypto for bad input that can come from outside the program
/// (a key, nonce or tag read from a file or a datagram). Programmer errors that are
/// documented as preconditions (for example a wrong key length passed to
/// ``ChaCha20Poly1305/seal(key:nonce:plaintext:aad:)``) trap instead.
public enum CryptoError: Error, Equatable, CustomStringConvertible {
    /// A key of the wrong length was supplied to `algorithm`.
    case invalidKeyLength(algorithm: String, expected: Int, actual: Int)
    /// A nonce of the wrong length was supplied to `algorithm`.
    case invalidNonceLength(algorithm: String, expected: Int, actual: Int)
    /// An authentication tag of the wrong length was supplied to `algorithm`.
    case invalidTagLength(algorithm: String, expected: Int, actual: Int)
    /// The message needs more keystream than the 32-bit ChaCha20 block counter can
    /// address from the given starting counter.
    case messageTooLong(algorithm: String, maximumBytes: UInt64, actual: Int)
    /// The authentication tag did not match: the ciphertext, the associated data, the
    /// nonce, the key or the tag itself is not what was sealed. No plaintext is released.
    case authenticationFailure

    /// A human-readable explanation naming the algorithm and the offending sizes.
    public var description: String {
        switch self {
        case let .invalidKeyLength(algorithm, expected, actual):
            return "\(algorithm): key must be \(expected) bytes, got \(actual)"
        case let .invalidNonceLength(algorithm, expected, actual):
            return "\(algorithm): nonce must be \(expected) bytes, got \(actual)"
        case let .invalidTagLength(algorithm, expected, actual):
            return "\(algorithm): tag must be \(expected) bytes, got \(actual)"
        case let .messageTooLong(algorithm, maximumBytes, actual):
            return "\(algorithm): message of \(actual) bytes exceeds the \(maximumBytes)-byte limit for this nonce and counter"
        case .authenticationFailure:
            return "authentication failed: tag mismatch (ciphertext, associated data, nonce, key or tag was altered)"
        }
    }
}

/// Comparisons whose running time does not depend on the contents being compared,
/// for checking MACs and authentication tags without leaking how many leading bytes matched.
public enum ConstantTime {
    /// Returns whether `a` and `b` hold the same bytes. The time taken depends only on the
    /// lengths (which are not secret); different lengths compare unequal immediately.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in equals(pa, pb) } }
    }

    /// Returns whether the two buffers hold the same bytes, in time that depends only on
    /// their lengths. Different lengths compare unequal immediately.
    @inline(never)
    public static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        // OR together every byte difference; no data-dependent branch or early exit.
        var difference: UInt8 = 0
        for i in 0..<a.count {
            difference |= a[i] ^ b[i]
        }
        return difference == 0
    }
}

// MARK: - Internal helpers

/// Loads a little-endian `UInt32` at `offset` (any alignment).
@inline(__always)
func loadLE32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
    UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

/// Loads a little-endian `UInt64` at `offset` (any alignment).
@inline(__always)
func loadLE64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}

/// Loads a big-endian `UInt32` at `offset` (any alignment).
@inline(__always)
func loadBE32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
    UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

/// Stores `v` little-endian at `offset` (any alignment).
@inline(__always)
func storeLE64(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt64) {
    p.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt64.self)
}

/// Stores `v` big-endian at `offset` (any alignment).
@inline(__always)
func storeBE32(_ p: UnsafeMutableRawPointer, _ offset: Int, _ v: UInt32) {
    p.storeBytes(of: v.bigEndian, toByteOffset: offset, as: UInt32.self)
}

/// Rotates right by a constant `n` in 1...31 (compiles to one `ror`/`rorx`).
@inline(__always)
func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
    (x &>> n) | (x &<< (32 &- n))
}

/// Rotates left by a constant `n` in 1...31.
@inline(__always)
func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 {
    (x &<< n) | (x &>> (32 &- n))
}

/// Lane-wise rotate right by a constant `n` in 1...31. Concrete (not generic) so the
/// stdlib's vector builtins are used rather than its generic per-lane loops.
@inline(__always)
func rotr(_ x: SIMD8<UInt32>, _ n: UInt32) -> SIMD8<UInt32> {
    (x &>> SIMD8(repeating: n)) | (x &<< SIMD8(repeating: 32 &- n))
}

/// Lane-wise rotate left by a constant `n` in 1...31.
@inline(__always)
func rotl(_ x: SIMD8<UInt32>, _ n: UInt32) -> SIMD8<UInt32> {
    (x &<< SIMD8(repeating: n)) | (x &>> SIMD8(repeating: 32 &- n))
}

/// Creates an array of `count` bytes filled by `body`, without zero-filling first.
@inline(__always)
func makeBytes(count: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) -> [UInt8] {
    [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        body(UnsafeMutableRawBufferPointer(buffer))
        initialized = count
    }
}

// MARK: - 8x8 transposes for SIMD lanes

/// Eight 32-bit words per lane, as eight vectors (vector w holds word w of every lane).
typealias Lanes8 = (SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>,
                    SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>, SIMD8<UInt32>)

/// One stage of an 8x8 transpose: a perfect unshuffle of the 64 words. Three stages swap the
/// row and column index bits, i.e. transpose.
@inline(__always)
func unshuffle8x8(_ v: Lanes8) -> Lanes8 {
    let p0 = SIMD16(lowHalf: v.0, highHalf: v.1), p1 = SIMD16(lowHalf: v.2, highHalf: v.3)
    let p2 = SIMD16(lowHalf: v.4, highHalf: v.5), p3 = SIMD16(lowHalf: v.6, highHalf: v.7)
    return (p0.evenHalf, p1.evenHalf, p2.evenHalf, p3.evenHalf, p0.oddHalf, p1.oddHalf, p2.oddHalf, p3.oddHalf)
}

/// Loads 8 words from each of 8 rows (`base + i * stride`) and transposes them into vectors.
@inline(__always)
func loadTransposed8x8(_ base: UnsafeRawPointer, stride: Int) -> Lanes8 {
    let rows: Lanes8 = (base.loadUnaligned(as: SIMD8<UInt32>.self),
                        (base + stride).loadUnaligned(as: SIMD8<UInt32>.self),
                        (base + 2 * stride).loadUnaligned(as: SIMD8<UInt32>.self),
                        (base + 3 * stride).loadUnaligned(as: SIMD8<UInt32>.self),
                        (base + 4 * stride).loadUnaligned(as: SIMD8<UInt32>.self),
                        (base + 5 * stride).loadUnaligned(as: SIMD8<UInt32>.self),
                        (base + 6 * stride).loadUnaligned(as: SIMD8<UInt32>.self),
                        (base + 7 * stride).loadUnaligned(as: SIMD8<UInt32>.self))
    return transpose8x8(rows)
}

/// Transposes an 8x8 matrix of words held as eight row vectors.
@inline(__always)
func transpose8x8(_ v: Lanes8) -> Lanes8 {
    unshuffle8x8(unshuffle8x8(unshuffle8x8(v)))
}
