import XCTest
import NXCrypto

final class HMACSHA256Tests: XCTestCase {
    /// RFC 4231 §4 test cases 1-7 (case 5 compares the 128-bit truncation).
    func testRFC4231() throws {
        let cases = try XCTUnwrap(Fixtures.json("hmac_sha256_rfc4231.json")["cases"] as? [[String: Any]])
        XCTAssertEqual(cases.count, 7)
        for c in cases {
            let number = try XCTUnwrap(c["case"] as? Int)
            let key = hex(field(c, "key")), data = hex(field(c, "data")), expected = field(c, "mac")
            let truncate = c["truncate_bytes"] as? Int ?? 32
            let mac = HMACSHA256.authenticate(key: key, message: data)
            XCTAssertEqual(mac.count, 32)
            XCTAssertEqual(hexString(Array(mac.prefix(truncate))), expected, "RFC 4231 case \(number)")
            var incremental = HMACSHA256(key: key)
            for byte in data { incremental.update([byte]) }
            XCTAssertEqual(incremental.finalize(), mac, "RFC 4231 case \(number), byte at a time")
        }
    }

    /// After finalize the authenticator is freshly keyed again.
    func testFinalizeResetsToKeyedState() {
        let key = [UInt8](repeating: 0x0b, count: 20)
        var mac = HMACSHA256(key: key)
        mac.update(Array("Hi There".utf8))
        let first = mac.finalize()
        mac.update(Array("Hi There".utf8))
        XCTAssertEqual(mac.finalize(), first)
        XCTAssertEqual(hexString(first), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    }
}

final class ConstantTimeTests: XCTestCase {
    func testEquals() {
        XCTAssertTrue(ConstantTime.equals([], []))
        XCTAssertTrue(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(ConstantTime.equals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(ConstantTime.equals([0, 2, 3], [1, 2, 3]))
        XCTAssertFalse(ConstantTime.equals([1, 2, 3], [1, 2]))
        XCTAssertFalse(ConstantTime.equals([], [0]))
        // Every single-bit difference in a 32-byte tag is detected.
        let tag = (0..<32).map { UInt8($0 * 5) }
        for bit in 0..<(32 * 8) {
            var other = tag
            other[bit / 8] ^= 1 << (bit % 8)
            XCTAssertFalse(ConstantTime.equals(tag, other), "bit \(bit)")
        }
    }

    func testRawBufferOverload() {
        let a: [UInt8] = [9, 8, 7], b: [UInt8] = [9, 8, 7], c: [UInt8] = [9, 8, 6]
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in XCTAssertTrue(ConstantTime.equals(pa, pb)) }
            c.withUnsafeBytes { pc in XCTAssertFalse(ConstantTime.equals(pa, pc)) }
        }
    }
}
