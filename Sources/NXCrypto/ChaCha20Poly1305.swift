// AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8).

/// Authenticated encryption with associated data: ChaCha20 encryption plus a Poly1305 tag over
/// the associated data and the ciphertext (RFC 8439 §2.8). 32-byte key, 12-byte nonce, 16-byte
/// tag. A nonce must never be reused with the same key.
public enum ChaCha20Poly1305 {
    /// Key length in bytes (32).
    public static let keyByteCount = 32
    /// Nonce length in bytes (12).
    public static let nonceByteCount = 12
    /// Tag length in bytes (16).
    public static let tagByteCount = 16
    /// Longest plaintext one nonce can encrypt: block counters 1...2^32-1.
    public static let maximumPlaintextByteCount: UInt64 = (1 << 32 - 1) * 64

    /// Encrypts `plaintext` and authenticates it together with `aad`.
    ///
    /// - Precondition: `key` is 32 bytes, `nonce` is 12 bytes and the plaintext is at most
    ///   ``maximumPlaintextByteCount`` bytes. These are programmer errors on the sending side
    ///   (keys and nonces are produced by the program itself), so they trap; ``open(key:nonce:ciphertext:tag:aad:)``
    ///   throws instead, because its inputs come from the network.
    public static func seal(key: [UInt8], nonce: [UInt8], plaintext: [UInt8], aad: [UInt8]) -> (ciphertext: [UInt8], tag: [UInt8]) {
        let k: ChaCha20Key
        do {
            k = try ChaCha20Key(key: key, nonce: nonce, algorithm: "ChaCha20Poly1305.seal")
        } catch {
            preconditionFailure("\(error)")
        }
        precondition(UInt64(plaintext.count) <= maximumPlaintextByteCount,
                     "ChaCha20Poly1305.seal: plaintext of \(plaintext.count) bytes exceeds \(maximumPlaintextByteCount)")
        return withFirstKeystreamBatch(k) { keystream in
            var mac = Poly1305(keyBytes: keystream)
            let ciphertext = plaintext.withUnsafeBytes { src in
                makeBytes(count: src.count) { dst in crypt(k, keystream, src, dst.baseAddress) }
            }
            let tag = ciphertext.withUnsafeBytes { ct in
                aad.withUnsafeBytes { ad in authenticate(&mac, aad: ad, ciphertext: ct) }
            }
            return (ciphertext, tag)
        }
    }

    /// Verifies `tag` over `aad` and `ciphertext` and, only if it matches, decrypts.
    ///
    /// - Throws: ``CryptoError/authenticationFailure`` when the tag does not match (nothing is
    ///   decrypted or returned); ``CryptoError/invalidKeyLength(algorithm:expected:actual:)``,
    ///   ``CryptoError/invalidNonceLength(algorithm:expected:actual:)`` or
    ///   ``CryptoError/invalidTagLength(algorithm:expected:actual:)`` for wrong sizes.
    public static func open(key: [UInt8], nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        let k = try ChaCha20Key(key: key, nonce: nonce, algorithm: "ChaCha20Poly1305.open")
        guard tag.count == tagByteCount else {
            throw CryptoError.invalidTagLength(algorithm: "ChaCha20Poly1305.open", expected: tagByteCount, actual: tag.count)
        }
        guard UInt64(ciphertext.count) <= maximumPlaintextByteCount else {
            throw CryptoError.messageTooLong(algorithm: "ChaCha20Poly1305.open", maximumBytes: maximumPlaintextByteCount, actual: ciphertext.count)
        }
        let plaintext: [UInt8]? = withFirstKeystreamBatch(k) { keystream in
            var mac = Poly1305(keyBytes: keystream)
            let expected = ciphertext.withUnsafeBytes { ct in
                aad.withUnsafeBytes { ad in authenticate(&mac, aad: ad, ciphertext: ct) }
            }
            guard ConstantTime.equals(expected, tag) else { return nil }
            return ciphertext.withUnsafeBytes { src in
                makeBytes(count: src.count) { dst in crypt(k, keystream, src, dst.baseAddress) }
            }
        }
        guard let plaintext else { throw CryptoError.authenticationFailure }
        return plaintext
    }

    /// Runs `body` with keystream blocks 0-7 (512 bytes). Block 0 keys Poly1305 (RFC 8439 §2.6);
    /// blocks 1-7 encrypt the first 448 bytes, so a short message costs one SIMD pass.
    private static func withFirstKeystreamBatch<R>(_ k: ChaCha20Key, _ body: (UnsafeRawPointer) -> R) -> R {
        withUnsafeTemporaryAllocation(byteCount: 512, alignment: 32) { ks in
            chacha20Keystream8(k, counter: 0, to: ks.baseAddress!)
            return body(UnsafeRawPointer(ks.baseAddress!))
        }
    }

    /// XORs `src` with the keystream from block 1 into `dst`, given the first batch.
    private static func crypt(_ k: ChaCha20Key, _ firstBatch: UnsafeRawPointer, _ src: UnsafeRawBufferPointer, _ dst: UnsafeMutableRawPointer?) {
        guard let s = src.baseAddress, let d = dst, src.count > 0 else { return }
        let head = min(src.count, 448)
        xorBytes(s, firstBatch + 64, into: d, count: head)
        if src.count > head {
            chacha20XOR(k, counter: 8, UnsafeRawBufferPointer(rebasing: src[head...]), d + head)
        }
    }

    /// Tag over aad ‖ pad16 ‖ ciphertext ‖ pad16 ‖ le64(len aad) ‖ le64(len ciphertext).
    private static func authenticate(_ mac: inout Poly1305, aad: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer) -> [UInt8] {
        mac.update(aad)
        mac.padToBlockBoundary()
        mac.update(ciphertext)
        mac.padToBlockBoundary()
        var lengths = (UInt64(aad.count).littleEndian, UInt64(ciphertext.count).littleEndian)
        withUnsafeBytes(of: &lengths) { mac.update($0) }
        return mac.finalize()
    }
}
