import XCTest
import NXCrypto

/// RFC 8439 vectors (sections 2.1.1, 2.2.1, 2.3.2, 2.4.2, 2.5.2, 2.6.2, 2.8.2 and Appendix A).
final class ChaCha20Poly1305Tests: XCTestCase {
    var rfc: [String: Any] = [:]

    override func setUpWithError() throws {
        rfc = try Fixtures.json("rfc8439_vectors.json")
    }

    func section(_ name: String) throws -> [String: Any] { try XCTUnwrap(rfc[name] as? [String: Any], name) }
    func list(_ name: String) throws -> [[String: Any]] { try XCTUnwrap(rfc[name] as? [[String: Any]], name) }
    func words(_ object: [String: Any], _ key: String) throws -> [UInt32] {
        try XCTUnwrap(object[key] as? [String]).map { UInt32($0, radix: 16)! }
    }

    // MARK: ChaCha20

    func testQuarterRound_2_1_1() throws {
        let v = try section("quarter_round_2_1_1")
        let i = try words(v, "input"), o = try words(v, "output")
        let r = ChaCha20.quarterRound(i[0], i[1], i[2], i[3])
        XCTAssertEqual([r.0, r.1, r.2, r.3], o)
    }

    func testQuarterRoundOnState_2_2_1() throws {
        let v = try section("quarter_round_2_2_1")
        var state = try words(v, "input")
        (state[2], state[7], state[8], state[13]) = ChaCha20.quarterRound(state[2], state[7], state[8], state[13])
        XCTAssertEqual(state, try words(v, "output"))
    }

    func testBlockFunction_2_3_2() throws {
        let v = try section("block_2_3_2")
        let block = try ChaCha20.block(key: hex(field(v, "key")), nonce: hex(field(v, "nonce")), counter: UInt32(try XCTUnwrap(v["counter"] as? Int)))
        XCTAssertEqual(hexString(block), field(v, "serialized"))
        // The serialized block is the final state, word by word, little-endian.
        let stateWords: [UInt32] = stride(from: 0, to: 64, by: 4).map { le32(block, $0) }
        XCTAssertEqual(stateWords, try words(v, "state_after_block"))
    }

    func testEncryption_2_4_2() throws {
        let v = try section("encrypt_2_4_2")
        let key = hex(field(v, "key")), nonce = hex(field(v, "nonce"))
        let plaintext = hex(field(v, "plaintext"))
        XCTAssertEqual(String(decoding: plaintext, as: UTF8.self).prefix(22), "Ladies and Gentlemen o")
        let ciphertext = try ChaCha20.xor(key: key, nonce: nonce, initialCounter: 1, plaintext)
        XCTAssertEqual(hexString(ciphertext), field(v, "ciphertext"))
        XCTAssertEqual(try ChaCha20.xor(key: key, nonce: nonce, initialCounter: 1, ciphertext), plaintext)
    }

    func testBlockFunctionAppendixA1() throws {
        let cases = try list("a1_block")
        XCTAssertEqual(cases.count, 5)
        for (n, v) in cases.enumerated() {
            let block = try ChaCha20.block(key: hex(field(v, "key")), nonce: hex(field(v, "nonce")),
                                           counter: UInt32(try XCTUnwrap(v["counter"] as? Int)))
            XCTAssertEqual(hexString(block), field(v, "keystream"), "A.1 test vector #\(n + 1)")
        }
    }

    func testEncryptionAppendixA2() throws {
        let cases = try list("a2_encrypt")
        XCTAssertEqual(cases.count, 3)
        for (n, v) in cases.enumerated() {
            let out = try ChaCha20.xor(key: hex(field(v, "key")), nonce: hex(field(v, "nonce")),
                                       initialCounter: UInt32(try XCTUnwrap(v["counter"] as? Int)), hex(field(v, "plaintext")))
            XCTAssertEqual(hexString(out), field(v, "ciphertext"), "A.2 test vector #\(n + 1)")
        }
    }

    /// The SIMD keystream (eight blocks per pass, any start counter, wrapping tail) matches a
    /// scalar block function written here from the RFC's quarter round, for random keys,
    /// nonces, counters and lengths.
    func testKeystreamMatchesScalarReference() throws {
        let seed = testSeed()
        var rng = SeededGenerator(seed: seed)
        for trial in 0..<40 {
            let key = randomBytes(32, using: &rng), nonce = randomBytes(12, using: &rng)
            let length = Int.random(in: 0...1500, using: &rng)
            let counter = trial % 4 == 0 ? UInt32.max - UInt32(length / 64) : UInt32.random(in: 0...1000, using: &rng)
            let input = randomBytes(length, using: &rng)
            var expected: [UInt8] = []
            var blockCounter = counter
            while expected.count < length {
                expected += Self.referenceBlock(key: key, nonce: nonce, counter: blockCounter)
                blockCounter &+= 1
            }
            let reference = zip(input, expected).map { $0 ^ $1 }
            XCTAssertEqual(try ChaCha20.xor(key: key, nonce: nonce, initialCounter: counter, input), reference,
                           "seed \(seed) trial \(trial) length \(length) counter \(counter)")
        }
    }

    static func referenceBlock(key: [UInt8], nonce: [UInt8], counter: UInt32) -> [UInt8] {
        func word(_ b: [UInt8], _ i: Int) -> UInt32 { le32(b, 4 * i) }
        let initial: [UInt32] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574] + (0..<8).map { word(key, $0) }
            + [counter] + (0..<3).map { word(nonce, $0) }
        var s = initial
        func qr(_ a: Int, _ b: Int, _ c: Int, _ d: Int) { (s[a], s[b], s[c], s[d]) = ChaCha20.quarterRound(s[a], s[b], s[c], s[d]) }
        for _ in 0..<10 {
            qr(0, 4, 8, 12); qr(1, 5, 9, 13); qr(2, 6, 10, 14); qr(3, 7, 11, 15)
            qr(0, 5, 10, 15); qr(1, 6, 11, 12); qr(2, 7, 8, 13); qr(3, 4, 9, 14)
        }
        return zip(s, initial).flatMap { pair -> [UInt8] in
            let w = pair.0 &+ pair.1
            return [UInt8(w & 0xff), UInt8(w >> 8 & 0xff), UInt8(w >> 16 & 0xff), UInt8(w >> 24)]
        }
    }

    func testChaCha20RejectsBadLengths() {
        XCTAssertThrowsError(try ChaCha20.block(key: [UInt8](repeating: 0, count: 31), nonce: [UInt8](repeating: 0, count: 12), counter: 0)) {
            XCTAssertEqual($0 as? CryptoError, .invalidKeyLength(algorithm: "ChaCha20", expected: 32, actual: 31))
            XCTAssertEqual("\($0)", "ChaCha20: key must be 32 bytes, got 31")
        }
        XCTAssertThrowsError(try ChaCha20.xor(key: [UInt8](repeating: 0, count: 32), nonce: [UInt8](repeating: 0, count: 8), initialCounter: 0, [1])) {
            XCTAssertEqual($0 as? CryptoError, .invalidNonceLength(algorithm: "ChaCha20", expected: 12, actual: 8))
        }
        // The 32-bit counter must not wrap: from counter 2^32-1 only one block (64 bytes) remains.
        let key = [UInt8](repeating: 7, count: 32), nonce = [UInt8](repeating: 1, count: 12)
        XCTAssertNoThrow(try ChaCha20.xor(key: key, nonce: nonce, initialCounter: .max, [UInt8](repeating: 0, count: 64)))
        XCTAssertThrowsError(try ChaCha20.xor(key: key, nonce: nonce, initialCounter: .max, [UInt8](repeating: 0, count: 65))) {
            XCTAssertEqual($0 as? CryptoError, .messageTooLong(algorithm: "ChaCha20", maximumBytes: 64, actual: 65))
        }
    }

    // MARK: Poly1305

    func testPoly1305_2_5_2() throws {
        let v = try section("poly1305_2_5_2")
        XCTAssertEqual(String(decoding: hex(field(v, "message")), as: UTF8.self), "Cryptographic Forum Research Group")
        let tag = try Poly1305.authenticate(key: hex(field(v, "key")), message: hex(field(v, "message")))
        XCTAssertEqual(hexString(tag), field(v, "tag"))
    }

    func testPoly1305AppendixA3() throws {
        let cases = try list("a3_poly1305")
        XCTAssertEqual(cases.count, 11)
        for (n, v) in cases.enumerated() {
            let tag = try Poly1305.authenticate(key: hex(field(v, "key")), message: hex(field(v, "message")))
            XCTAssertEqual(hexString(tag), field(v, "tag"), "A.3 test vector #\(n + 1)")
        }
    }

    func testPoly1305KeyGeneration_2_6_2_and_A4() throws {
        var cases = try list("a4_poly1305_keygen")
        XCTAssertEqual(cases.count, 3)
        cases.append(try section("poly1305_keygen_2_6_2"))
        for (n, v) in cases.enumerated() {
            let block = try ChaCha20.block(key: hex(field(v, "key")), nonce: hex(field(v, "nonce")), counter: 0)
            XCTAssertEqual(hexString(Array(block.prefix(32))), field(v, "one_time_key"), "key generation vector #\(n + 1)")
        }
    }

    func testPoly1305RejectsBadKeyLength() {
        XCTAssertThrowsError(try Poly1305(key: [UInt8](repeating: 1, count: 16))) {
            XCTAssertEqual($0 as? CryptoError, .invalidKeyLength(algorithm: "Poly1305", expected: 32, actual: 16))
        }
    }

    // MARK: AEAD

    func testAEAD_2_8_2() throws {
        let v = try section("aead_2_8_2")
        let key = hex(field(v, "key")), nonce = hex(field(v, "nonce")), aad = hex(field(v, "aad"))
        let plaintext = hex(field(v, "plaintext"))
        let sealed = ChaCha20Poly1305.seal(key: key, nonce: nonce, plaintext: plaintext, aad: aad)
        XCTAssertEqual(hexString(sealed.ciphertext), field(v, "ciphertext"))
        XCTAssertEqual(hexString(sealed.tag), field(v, "tag"))
        let opened = try ChaCha20Poly1305.open(key: key, nonce: nonce, ciphertext: sealed.ciphertext, tag: sealed.tag, aad: aad)
        XCTAssertEqual(opened, plaintext)
    }

    func testAEADDecryptionAppendixA5() throws {
        let v = try section("a5_aead_decrypt")
        let plaintext = try ChaCha20Poly1305.open(key: hex(field(v, "key")), nonce: hex(field(v, "nonce")),
                                                  ciphertext: hex(field(v, "ciphertext")), tag: hex(field(v, "tag")),
                                                  aad: hex(field(v, "aad")))
        XCTAssertEqual(hexString(plaintext), field(v, "plaintext"))
        XCTAssertTrue(String(decoding: plaintext, as: UTF8.self).hasPrefix("Internet-Drafts are draft documents"))
    }

    /// Any flipped bit in the ciphertext, the tag or the associated data, a different nonce or
    /// key, or a truncated ciphertext makes open fail with authenticationFailure.
    func testTamperingIsRejected() throws {
        let v = try section("a5_aead_decrypt")
        let key = hex(field(v, "key")), nonce = hex(field(v, "nonce")), aad = hex(field(v, "aad"))
        let ciphertext = hex(field(v, "ciphertext")), tag = hex(field(v, "tag"))
        func assertRejected(key: [UInt8], nonce: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8], _ what: String) {
            XCTAssertThrowsError(try ChaCha20Poly1305.open(key: key, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: aad), what) {
                XCTAssertEqual($0 as? CryptoError, .authenticationFailure, what)
            }
        }
        for bit in stride(from: 0, to: ciphertext.count * 8, by: 37) + [ciphertext.count * 8 - 1] {
            var c = ciphertext
            c[bit / 8] ^= 1 << (bit % 8)
            assertRejected(key: key, nonce: nonce, ciphertext: c, tag: tag, aad: aad, "ciphertext bit \(bit)")
        }
        for bit in 0..<(tag.count * 8) {
            var t = tag
            t[bit / 8] ^= 1 << (bit % 8)
            assertRejected(key: key, nonce: nonce, ciphertext: ciphertext, tag: t, aad: aad, "tag bit \(bit)")
        }
        for bit in 0..<(aad.count * 8) {
            var a = aad
            a[bit / 8] ^= 1 << (bit % 8)
            assertRejected(key: key, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: a, "aad bit \(bit)")
        }
        var n = nonce; n[11] ^= 0x80
        assertRejected(key: key, nonce: n, ciphertext: ciphertext, tag: tag, aad: aad, "nonce")
        var k = key; k[0] ^= 1
        assertRejected(key: k, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: aad, "key")
        assertRejected(key: key, nonce: nonce, ciphertext: Array(ciphertext.dropLast()), tag: tag, aad: aad, "truncated")
        assertRejected(key: key, nonce: nonce, ciphertext: ciphertext, tag: tag, aad: aad + [0], "extended aad")
    }

    func testOpenRejectsBadLengthsWithPreciseErrors() {
        let key = [UInt8](repeating: 1, count: 32), nonce = [UInt8](repeating: 2, count: 12)
        XCTAssertThrowsError(try ChaCha20Poly1305.open(key: Array(key.prefix(16)), nonce: nonce, ciphertext: [], tag: [UInt8](repeating: 0, count: 16), aad: [])) {
            XCTAssertEqual($0 as? CryptoError, .invalidKeyLength(algorithm: "ChaCha20Poly1305.open", expected: 32, actual: 16))
        }
        XCTAssertThrowsError(try ChaCha20Poly1305.open(key: key, nonce: Array(nonce.prefix(8)), ciphertext: [], tag: [UInt8](repeating: 0, count: 16), aad: [])) {
            XCTAssertEqual($0 as? CryptoError, .invalidNonceLength(algorithm: "ChaCha20Poly1305.open", expected: 12, actual: 8))
        }
        XCTAssertThrowsError(try ChaCha20Poly1305.open(key: key, nonce: nonce, ciphertext: [], tag: [UInt8](repeating: 0, count: 15), aad: [])) {
            XCTAssertEqual($0 as? CryptoError, .invalidTagLength(algorithm: "ChaCha20Poly1305.open", expected: 16, actual: 15))
        }
    }

    /// seal/open round trips at lengths around the 448-byte first batch and 512-byte batches,
    /// and the ciphertext equals raw ChaCha20 from counter 1.
    func testRoundTripAcrossBatchBoundaries() throws {
        let seed = testSeed()
        var rng = SeededGenerator(seed: seed)
        let key = randomBytes(32, using: &rng), nonce = randomBytes(12, using: &rng)
        for length in [0, 1, 15, 16, 17, 63, 64, 65, 447, 448, 449, 511, 512, 513, 959, 960, 961, 4096, 10_000] {
            let plaintext = randomBytes(length, using: &rng), aad = randomBytes(length % 37, using: &rng)
            let sealed = ChaCha20Poly1305.seal(key: key, nonce: nonce, plaintext: plaintext, aad: aad)
            XCTAssertEqual(sealed.ciphertext, try ChaCha20.xor(key: key, nonce: nonce, initialCounter: 1, plaintext), "seed \(seed) length \(length)")
            XCTAssertEqual(sealed.tag.count, 16)
            XCTAssertEqual(try ChaCha20Poly1305.open(key: key, nonce: nonce, ciphertext: sealed.ciphertext, tag: sealed.tag, aad: aad),
                           plaintext, "seed \(seed) length \(length)")
        }
    }
}
