import Foundation
import XCTest

/// Locates and decodes the spec vector files in Fixtures/crypto (relative to this source file,
/// so the tests work wherever the package is checked out).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // NXCryptoTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()   // package root
        .appendingPathComponent("Fixtures/crypto")

    /// The top-level JSON object of `name`, failing the test with the path if it is unreadable.
    static func json(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let url = directory.appendingPathComponent(name)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            XCTFail("cannot read fixture \(url.path): \(error)", file: file, line: line)
            throw error
        }
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            XCTFail("fixture \(url.path) is not a JSON object", file: file, line: line)
            throw CocoaError(.fileReadCorruptFile)
        }
        return object
    }
}

/// Decodes a hex string (whitespace ignored); traps on malformed fixtures.
func hex(_ string: String) -> [UInt8] {
    let digits = Array(string.filter { !$0.isWhitespace }.utf8)
    precondition(digits.count % 2 == 0, "odd-length hex string")
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: preconditionFailure("bad hex digit \(c)")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

/// Lower-case hex encoding, for readable assertion failures.
func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

/// Reads `key` of a fixture object as a string, failing loudly if absent.
func field(_ object: [String: Any], _ key: String) -> String {
    guard let value = object[key] as? String else { fatalError("fixture field \(key) missing") }
    return value
}

/// Deterministic generator (SplitMix64) for randomized tests; failures print the seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Seed for randomized tests: `NX_CRYPTO_SEED` if set (to reproduce a failure), else random.
func testSeed() -> UInt64 {
    if let text = ProcessInfo.processInfo.environment["NX_CRYPTO_SEED"], let seed = UInt64(text) { return seed }
    return UInt64.random(in: 0...UInt64.max)
}

func randomBytes<G: RandomNumberGenerator>(_ count: Int, using rng: inout G) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

/// Splits `count` into random consecutive piece lengths (zero-length pieces included).
func randomSplits<G: RandomNumberGenerator>(_ count: Int, maxPiece: Int, using rng: inout G) -> [Int] {
    var pieces: [Int] = []
    var left = count
    while left > 0 {
        let piece = Int.random(in: 0...min(left, maxPiece), using: &rng)
        pieces.append(piece)
        left -= piece
    }
    return pieces
}

/// Little-endian word at byte `offset` of `bytes`.
func le32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    var w: UInt32 = 0
    for i in (0..<4).reversed() { w = w << 8 | UInt32(bytes[offset + i]) }
    return w
}
