import XCTest
import NXCrypto

/// Incremental hashing with random split points must equal one-shot hashing. The seed is
/// random per run and printed in every failure; rerun with NX_CRYPTO_SEED=<seed> to reproduce.
final class RandomizedSplitTests: XCTestCase {
    let seed = testSeed()

    func feed(_ data: [UInt8], pieces: [Int], _ update: (UnsafeRawBufferPointer) -> Void) {
        data.withUnsafeBytes { all in
            var offset = 0
            for piece in pieces {
                update(UnsafeRawBufferPointer(rebasing: all[offset..<(offset + piece)]))
                offset += piece
            }
        }
    }

    func testSHA256AndHMACRandomSplits() {
        var rng = SeededGenerator(seed: seed)
        for trial in 0..<60 {
            let data = randomBytes(Int.random(in: 0...5000, using: &rng), using: &rng)
            let pieces = randomSplits(data.count, maxPiece: Int.random(in: 1...300, using: &rng), using: &rng)
            var sha = SHA256()
            feed(data, pieces: pieces) { sha.update($0) }
            XCTAssertEqual(sha.finalize(), SHA256.hash(data), "seed \(seed) trial \(trial) pieces \(pieces.prefix(20))")
            let key = randomBytes(Int.random(in: 0...150, using: &rng), using: &rng)
            var mac = HMACSHA256(key: key)
            feed(data, pieces: pieces) { mac.update($0) }
            XCTAssertEqual(mac.finalize(), HMACSHA256.authenticate(key: key, message: data), "seed \(seed) trial \(trial)")
        }
    }

    func testBLAKE3RandomSplitsAllModes() {
        var rng = SeededGenerator(seed: seed)
        let key = randomBytes(32, using: &rng)
        for trial in 0..<40 {
            // Up to ~40 chunks, so splits cross chunk, subtree and stack-merge boundaries.
            let data = randomBytes(Int.random(in: 0...40_000, using: &rng), using: &rng)
            let maxPiece = [1, 64, 1024, 3000, 20_000][Int.random(in: 0...4, using: &rng)]
            let pieces = randomSplits(data.count, maxPiece: maxPiece, using: &rng)
            let context = "nx randomized test \(trial)"
            var plain = BLAKE3(), keyed = BLAKE3(key: key), derive = BLAKE3(deriveKeyContext: context)
            feed(data, pieces: pieces) { plain.update($0); keyed.update($0); derive.update($0) }
            let message = "seed \(seed) trial \(trial) length \(data.count) maxPiece \(maxPiece)"
            XCTAssertEqual(plain.finalize(count: 100), { var h = BLAKE3(); h.update(data); return h.finalize(count: 100) }(), message)
            XCTAssertEqual(keyed.finalize(), BLAKE3.keyedHash(key: key, data), message)
            XCTAssertEqual(derive.finalize(count: 40), BLAKE3.deriveKey(context: context, material: data, count: 40), message)
        }
    }

    func testPoly1305RandomSplits() throws {
        var rng = SeededGenerator(seed: seed)
        for trial in 0..<60 {
            let key = randomBytes(32, using: &rng)
            let data = randomBytes(Int.random(in: 0...3000, using: &rng), using: &rng)
            let pieces = randomSplits(data.count, maxPiece: Int.random(in: 1...100, using: &rng), using: &rng)
            var mac = try Poly1305(key: key)
            feed(data, pieces: pieces) { mac.update($0) }
            XCTAssertEqual(mac.finalize(), try Poly1305.authenticate(key: key, message: data), "seed \(seed) trial \(trial)")
        }
    }
}
