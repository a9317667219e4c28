import XCTest
import NXCrypto

final class BLAKE3Tests: XCTestCase {
    struct Vectors {
        let key: [UInt8]
        let context: String
        let cases: [(length: Int, hash: [UInt8], keyedHash: [UInt8], deriveKey: [UInt8])]
    }

    /// The BLAKE3 team's official test_vectors.json.
    static func loadVectors() throws -> Vectors {
        let json = try Fixtures.json("blake3_test_vectors.json")
        let cases = try XCTUnwrap(json["cases"] as? [[String: Any]]).map { c in
            (length: c["input_len"] as! Int, hash: hex(field(c, "hash")), keyedHash: hex(field(c, "keyed_hash")),
             deriveKey: hex(field(c, "derive_key")))
        }
        return Vectors(key: Array(field(json, "key").utf8), context: field(json, "context_string"), cases: cases)
    }

    /// The official input pattern: bytes 0, 1, ..., 250, 0, 1, ...
    static func input(_ length: Int) -> [UInt8] {
        (0..<length).map { UInt8($0 % 251) }
    }

    /// Every input length in the official file, all three modes, full extended output
    /// (131 bytes) and the default 32-byte output as its prefix.
    func testOfficialVectorsAllModes() throws {
        let vectors = try Self.loadVectors()
        XCTAssertEqual(vectors.cases.count, 22)
        XCTAssertEqual(vectors.key.count, 32)
        for c in vectors.cases {
            let input = Self.input(c.length)
            let outLen = c.hash.count
            XCTAssertEqual(outLen, 131)

            var hasher = BLAKE3()
            hasher.update(input)
            XCTAssertEqual(hexString(hasher.finalize(count: outLen)), hexString(c.hash), "hash, len \(c.length)")
            XCTAssertEqual(BLAKE3.hash(input), Array(c.hash.prefix(32)), "hash default, len \(c.length)")

            var keyed = BLAKE3(key: vectors.key)
            keyed.update(input)
            XCTAssertEqual(hexString(keyed.finalize(count: outLen)), hexString(c.keyedHash), "keyed_hash, len \(c.length)")
            XCTAssertEqual(BLAKE3.keyedHash(key: vectors.key, input), Array(c.keyedHash.prefix(32)), "keyed default, len \(c.length)")
            let keyedViaPointer = input.withUnsafeBytes { BLAKE3.keyedHash(key: vectors.key, $0) }
            XCTAssertEqual(keyedViaPointer, Array(c.keyedHash.prefix(32)))

            var derive = BLAKE3(deriveKeyContext: vectors.context)
            derive.update(input)
            XCTAssertEqual(hexString(derive.finalize(count: outLen)), hexString(c.deriveKey), "derive_key, len \(c.length)")
            XCTAssertEqual(BLAKE3.deriveKey(context: vectors.context, material: input, count: outLen), c.deriveKey)
            XCTAssertEqual(BLAKE3.deriveKey(context: vectors.context, material: input), Array(c.deriveKey.prefix(32)))
        }
    }

    /// XOF with a seek offset returns the matching slice of the official extended output, for
    /// every offset and several lengths (crossing the 64-byte output block boundary).
    func testExtendedOutputWithSeek() throws {
        let vectors = try Self.loadVectors()
        for c in vectors.cases where [0, 1, 1024, 1025, 8193, 102400].contains(c.length) {
            var hasher = BLAKE3()
            hasher.update(Self.input(c.length))
            var keyed = BLAKE3(key: vectors.key)
            keyed.update(Self.input(c.length))
            for seek in 0..<c.hash.count {
                for count in [0, 1, 7, 64, c.hash.count - seek] where seek + count <= c.hash.count {
                    XCTAssertEqual(hasher.finalize(count: count, seek: UInt64(seek)), Array(c.hash[seek..<(seek + count)]),
                                   "hash len \(c.length) seek \(seek) count \(count)")
                    XCTAssertEqual(keyed.finalize(count: count, seek: UInt64(seek)), Array(c.keyedHash[seek..<(seek + count)]),
                                   "keyed len \(c.length) seek \(seek) count \(count)")
                }
            }
        }
    }

    /// A long XOF read is the concatenation of any seeked reads, including far offsets.
    func testLongExtendedOutputIsConsistent() {
        var hasher = BLAKE3()
        hasher.update(Self.input(5000))
        let long = hasher.finalize(count: 4096)
        XCTAssertEqual(Array(long.prefix(32)), BLAKE3.hash(Self.input(5000)))
        for (seek, count) in [(0, 4096), (63, 130), (64, 64), (1000, 3096), (4095, 1)] {
            XCTAssertEqual(hasher.finalize(count: count, seek: UInt64(seek)), Array(long[seek..<(seek + count)]), "seek \(seek)")
        }
        // Seeking near the end of the 64-bit counter space must not trap.
        XCTAssertEqual(hasher.finalize(count: 10, seek: UInt64.max - 9).count, 10)
    }

    /// Every official length fed byte-by-byte and in chunk-crossing pieces matches.
    func testIncrementalMatchesVectors() throws {
        let vectors = try Self.loadVectors()
        for c in vectors.cases {
            let input = Self.input(c.length)
            for piece in [1, 63, 64, 65, 1023, 1024, 1025, 4096, 7000] {
                var hasher = BLAKE3(deriveKeyContext: vectors.context)
                var offset = 0
                while offset < input.count {
                    let end = min(offset + piece, input.count)
                    input.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[offset..<end])) }
                    offset = end
                }
                XCTAssertEqual(hasher.finalize(count: 131), c.deriveKey, "len \(c.length), piece \(piece)")
            }
        }
    }

    /// finalize does not consume the hasher: it can keep absorbing.
    func testFinalizeKeepsHasherUsable() {
        let a = Self.input(3000), b = Self.input(2500)
        var hasher = BLAKE3()
        hasher.update(a)
        XCTAssertEqual(hasher.finalize(), BLAKE3.hash(a))
        hasher.update(b)
        XCTAssertEqual(hasher.finalize(), BLAKE3.hash(a + b))
    }

    func testPointerOverloadAndEmptyUpdates() {
        var hasher = BLAKE3()
        hasher.update([])
        hasher.update(UnsafeRawBufferPointer(start: nil, count: 0))
        XCTAssertEqual(hexString(hasher.finalize()), "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")
        let input = Self.input(2049)
        XCTAssertEqual(input.withUnsafeBytes { BLAKE3.hash($0) }, BLAKE3.hash(input))
    }

    /// Large inputs go through SIMD subtrees (8 chunks per lane pass, parallel parents); feeding
    /// the same bytes in sub-chunk pieces goes through the scalar chunk state and the CV stack
    /// only. Both must agree, at sizes that hit every subtree size and partial batches.
    func testSIMDSubtreesMatchScalarChunkPath() {
        var rng = SeededGenerator(seed: 42)
        let data = randomBytes(300_000, using: &rng)
        for length in [2048, 8192, 8193, 9216, 16384, 65536, 131072, 131073, 139264, 262144 + 5000, 300_000] {
            let slice = Array(data.prefix(length))
            var scalar = BLAKE3(key: Array(data.prefix(32)))
            var offset = 0
            while offset < slice.count {
                let end = min(offset + 1000, slice.count)
                scalar.update(Array(slice[offset..<end]))
                offset = end
            }
            XCTAssertEqual(BLAKE3.keyedHash(key: Array(data.prefix(32)), slice), scalar.finalize(), "length \(length)")
        }
    }
}
