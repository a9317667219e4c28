// HMAC-SHA256 (RFC 2104 with SHA-256), one-shot and incremental.

/// HMAC with SHA-256 (RFC 2104, test vectors in RFC 4231).
///
/// Keys of any length are accepted: keys longer than 64 bytes are hashed first, as the RFC
/// specifies. Compare tags with ``ConstantTime/equals(_:_:)-([UInt8],[UInt8])``, never `==`.
public struct HMACSHA256 {
    /// Length of a tag in bytes (32).
    public static let byteCount = SHA256.byteCount

    private var inner: SHA256
    /// Inner hash right after absorbing `key XOR ipad`, to restart after finalize.
    private let innerStart: SHA256
    /// Outer hash already fed with `key XOR opad`, so finalize only adds the inner digest.
    private var outer: SHA256

    /// Creates an authenticator for `key` (any length).
    public init(key: [UInt8]) {
        let longKeyDigest = key.count > SHA256.blockByteCount ? SHA256.hash(key) : nil
        let usedKey = longKeyDigest ?? key
        var inner = SHA256(), outer = SHA256()
        // key XOR ipad / key XOR opad, built in a stack block (no heap allocation per MAC).
        withUnsafeTemporaryAllocation(byteCount: SHA256.blockByteCount, alignment: 8) { pad in
            usedKey.withUnsafeBytes { k in
                for i in 0..<SHA256.blockByteCount { pad[i] = (i < k.count ? k[i] : 0) ^ 0x36 }
                inner.update(UnsafeRawBufferPointer(pad))
                for i in 0..<SHA256.blockByteCount { pad[i] ^= 0x36 ^ 0x5c }
                outer.update(UnsafeRawBufferPointer(pad))
            }
        }
        self.inner = inner
        self.outer = outer
        innerStart = inner
    }

    /// Absorbs message bytes. May be called any number of times with splits anywhere.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        inner.update(bytes)
    }

    /// Absorbs message bytes. May be called any number of times with splits anywhere.
    public mutating func update(_ bytes: [UInt8]) {
        inner.update(bytes)
    }

    /// Returns the 32-byte tag and resets the authenticator to its freshly keyed state, ready
    /// for another message under the same key.
    public mutating func finalize() -> [UInt8] {
        let innerDigest = inner.finalize()
        inner = innerStart
        var o = outer
        o.update(innerDigest)
        return o.finalize()
    }

    /// Returns HMAC-SHA256(`key`, `message`) (32 bytes).
    public static func authenticate(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var mac = HMACSHA256(key: key)
        mac.update(message)
        return mac.finalize()
    }

    /// Returns HMAC-SHA256(`key`, `message`) (32 bytes).
    public static func authenticate(key: [UInt8], message: UnsafeRawBufferPointer) -> [UInt8] {
        var mac = HMACSHA256(key: key)
        mac.update(message)
        return mac.finalize()
    }
}
