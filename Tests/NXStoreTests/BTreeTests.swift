import XCTest
@testable import NXStore

/// The index against a sorted model: random inserts, replacements and removals with keys that
/// share long prefixes, are empty, or are long enough to be stored out of line.
final class BTreeTests: XCTestCase {
    func randomKey(_ r: inout TestRng) -> [UInt8] {
        switch r.below(10) {
        case 0: return []
        case 1: return Array(repeating: UInt8(ascii: "p"), count: 200 + r.below(400)) + Array("\(r.below(50))".utf8)
        case 2: return (0..<(1 + r.below(6))).map { _ in UInt8(r.below(256)) }
        case 3: return Array(repeating: 0xFF, count: r.below(5))
        default: return Array(String(format: "user:%016d", r.below(3000)).utf8)
        }
    }

    func loc(_ i: Int) -> RecordLocation {
        RecordLocation(slot: i & 0xFFFF, headerSize: 9, recordOffset: i, keyLength: 21, valueLength: i * 3)
    }

    func lookup(_ t: BTree, _ k: [UInt8]) -> RecordLocation? {
        k.withUnsafeBytes { b in t.find(b.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, b.count).map { RecordLocation($0) } }
    }

    func testRandomOperationsAgainstModel() {
        for seed in [1, 2, 3] as [UInt64] {
            var r = TestRng(seed)
            var t = BTree()
            var model: [[UInt8]: RecordLocation] = [:]
            for step in 0..<20000 {
                let k = randomKey(&r)
                let kb = k.withUnsafeBytes { $0 }
                _ = kb
                if r.below(3) == 0 {
                    let old = k.withUnsafeBytes { t.remove($0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, $0.count) }
                    XCTAssertEqual(old, model.removeValue(forKey: k), "seed \(seed) step \(step)")
                } else {
                    let l = loc(step)
                    let old = k.withUnsafeBytes { t.upsert($0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, $0.count, l) }
                    XCTAssertEqual(old, model.updateValue(l, forKey: k), "seed \(seed) step \(step)")
                }
                if step % 997 == 0 {
                    if let e = t.check() { XCTFail("seed \(seed) step \(step): \(e)"); break }
                }
            }
            XCTAssertNil(t.check())
            XCTAssertEqual(t.count, model.count)
            for (k, v) in model { XCTAssertEqual(lookup(t, k), v) }
            // In-order iteration equals the sorted model.
            var keys: [[UInt8]] = []
            var pos = t.first()
            while let (leaf, i) = pos {
                keys.append(t.key(leaf, i))
                pos = i + 1 < Page.count(leaf) ? (leaf, i + 1) : Page.next(leaf).map { ($0, 0) }
            }
            XCTAssertEqual(keys, model.keys.sorted { $0.lexicographicallyPrecedes($1) })
            // Remove everything: the tree shrinks back to one empty leaf.
            for k in model.keys { _ = k.withUnsafeBytes { t.remove($0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, $0.count) } }
            XCTAssertEqual(t.count, 0)
            XCTAssertEqual(t.height, 1)
            XCTAssertNil(t.check())
            t.destroy()
        }
    }

    func testSequentialInsertFillsPages() {
        var t = BTree()
        for i in 0..<100_000 {
            let k = Array(String(format: "user:%016d", i).utf8)
            _ = k.withUnsafeBytes { t.upsert($0.baseAddress!, $0.count, loc(i)) }
        }
        XCTAssertNil(t.check())
        // Appending at the right edge packs pages nearly full: well under 40 bytes per key.
        XCTAssertLessThan(t.pool.pagesInUse * Page.size / 100_000, 40)
        t.destroy()
    }
}

extension BTreeTests {
    func testBulkLoadMatchesInsertedTree() {
        for n in [0, 1, 5, 300, 20000] {
            var keys = Set<[UInt8]>()
            var r = TestRng(UInt64(n) + 7)
            while keys.count < n { keys.insert(randomKey(&r) + [UInt8(r.below(256))]) }
            let sorted = keys.sorted { $0.lexicographicallyPrecedes($1) }
            var b = BTreeBuilder()
            for (i, k) in sorted.enumerated() {
                k.withUnsafeBytes { b.add($0.baseAddress!, $0.count, shared: -1, loc(i)) }
            }
            var t = BTree()
            b.install(into: &t)
            XCTAssertNil(t.check(), "n=\(n)")
            XCTAssertEqual(t.count, n)
            for (i, k) in sorted.enumerated() { XCTAssertEqual(lookup(t, k), loc(i)) }
            // The bulk-built tree keeps working under updates.
            for (i, k) in sorted.enumerated() where i % 3 == 0 {
                _ = k.withUnsafeBytes { t.remove($0.baseAddress!, $0.count) }
            }
            for i in 0..<2000 {
                let k = randomKey(&r)
                _ = k.withUnsafeBytes { t.upsert($0.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, $0.count, loc(i)) }
            }
            XCTAssertNil(t.check(), "n=\(n) after updates")
            t.destroy()
        }
    }
}
