import XCTest
import NXCrypto

final class SHA256Tests: XCTestCase {
    /// FIPS 180-4 / NIST examples: "", "abc", the 448- and 896-bit messages, one million 'a'.
    func testNISTExamples() throws {
        let cases = try XCTUnwrap(Fixtures.json("sha256_vectors.json")["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 5)
        for c in cases {
            let repeatCount = try XCTUnwrap(c["repeat"] as? Int)
            let message = [UInt8](String(repeating: field(c, "message_ascii"), count: repeatCount).utf8)
            let expected = field(c, "digest")
            XCTAssertEqual(hexString(SHA256.hash(message)), expected, "one-shot, \(message.count) bytes")
            // Incremental in 1000-byte (non-block-aligned) pieces.
            var hasher = SHA256()
            var offset = 0
            while offset < message.count {
                let end = min(offset + 1000, message.count)
                hasher.update(Array(message[offset..<end]))
                offset = end
            }
            XCTAssertEqual(hexString(hasher.finalize()), expected, "incremental, \(message.count) bytes")
        }
    }

    /// Lengths around the padding boundary (55, 56, 63, 64, 65 bytes) take different paths in
    /// finalize; each must match the byte-at-a-time result and stay distinct.
    func testPaddingBoundaries() {
        var seen = Set<[UInt8]>()
        for length in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
            var hasher = SHA256()
            for byte in message { hasher.update([byte]) }
            let digest = SHA256.hash(message)
            XCTAssertEqual(hasher.finalize(), digest, "length \(length)")
            XCTAssertEqual(digest.count, 32)
            XCTAssertTrue(seen.insert(digest).inserted, "collision at length \(length)")
        }
    }

    /// Bulk input goes through the eight-block SIMD message schedule (pipelined with the
    /// next group); 63-byte pieces only ever compress one buffered block at a time with the
    /// scalar schedule. Both must agree for block counts around the 8- and 16-block groups.
    func testSIMDScheduleMatchesScalarPath() {
        var rng = SeededGenerator(seed: 7)
        let data = randomBytes(64 * 40 + 11, using: &rng)
        for blocks in [7, 8, 9, 15, 16, 17, 23, 24, 25, 31, 32, 40] {
            for extra in [0, 5] {
                let message = Array(data.prefix(blocks * 64 + extra))
                var pieces = SHA256()
                var offset = 0
                while offset < message.count {
                    let end = min(offset + 63, message.count)
                    pieces.update(Array(message[offset..<end]))
                    offset = end
                }
                XCTAssertEqual(SHA256.hash(message), pieces.finalize(), "\(blocks) blocks + \(extra)")
            }
        }
    }

    /// finalize resets the hasher, so it can hash a second message.
    func testFinalizeResets() {
        var hasher = SHA256()
        hasher.update(Array("abc".utf8))
        _ = hasher.finalize()
        hasher.update(Array("abc".utf8))
        XCTAssertEqual(hexString(hasher.finalize()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testRawBufferOverloads() {
        let message = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        let viaPointer = message.withUnsafeBytes { SHA256.hash($0) }
        XCTAssertEqual(hexString(viaPointer), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hash(UnsafeRawBufferPointer(start: nil, count: 0)), SHA256.hash([]))
    }
}
