import Foundation
import Glibc
import XCTest
@testable import NXStore

final class StoreTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = makeTempDir("basic") }
    override func tearDown() { removeTree(dir) }

    func testPutGetDeleteExistsAcrossReopen() throws {
        var s: Store? = try Store.open(path: dir)
        try s!.put(b("alpha"), b("1"))
        try s!.put(b("beta"), [])
        try s!.put([], b("empty key"))
        try s!.put(b("alpha"), b("2"))
        try s!.put(b("gamma"), b("3"))
        try s!.delete(b("gamma"))
        try s!.delete(b("never-existed"))
        XCTAssertEqual(try s!.get(b("alpha")), b("2"))
        XCTAssertEqual(try s!.get(b("beta")), [])
        XCTAssertEqual(try s!.get([]), b("empty key"))
        XCTAssertNil(try s!.get(b("gamma")))
        XCTAssertTrue(try s!.exists(b("beta")))
        XCTAssertFalse(try s!.exists(b("gamma")))
        XCTAssertEqual(s!.statistics().liveKeys, 3)
        try s!.close()
        XCTAssertThrowsError(try s!.get(b("alpha"))) { XCTAssertEqual($0 as? StoreError, .closed) }
        s = nil
        let r = try Store.open(path: dir)
        XCTAssertTrue(r.recoveryReport.usedHintFile)
        XCTAssertTrue(r.recoveryReport.isClean)
        XCTAssertEqual(try r.get(b("alpha")), b("2"))
        XCTAssertEqual(try r.get([]), b("empty key"))
        XCTAssertNil(try r.get(b("gamma")))
        XCTAssertEqual(r.statistics().liveKeys, 3)
        try r.close()
    }

    func testRawBufferOverloadsAndZeroCopyRead() throws {
        let s = try Store.open(path: dir)
        let key = b("raw-key")
        let value = [UInt8](repeating: 7, count: 300)
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try s.put(k, v) } }
        let copied: Int? = try key.withUnsafeBytes { k in
            try s.withValue(k) { v -> Int in
                XCTAssertEqual(Array(v), value)
                return v.count
            }
        }
        XCTAssertEqual(copied, 300)
        XCTAssertEqual(try key.withUnsafeBytes { try s.get($0) }, value)
        XCTAssertTrue(try key.withUnsafeBytes { try s.exists($0) })
        try key.withUnsafeBytes { try s.delete($0) }
        XCTAssertNil(try s.withValue(key) { $0.count })
        try s.close()
    }

    func testLargeValuesBypassTheAppendBuffer() throws {
        var rng = TestRng(5)
        let big = rng.bytes(3 << 20)
        let s = try Store.open(path: dir)
        try s.put(b("small"), b("x"))
        try s.put(b("big"), big)
        var batch = WriteBatch()
        batch.put(b("big2"), big)
        batch.put(b("small2"), b("y"))
        try s.write(batch)
        XCTAssertEqual(try s.get(b("big")), big)
        XCTAssertEqual(try s.get(b("big2")), big)
        try s.close()
        let r = try Store.open(path: dir)
        XCTAssertEqual(try r.get(b("big")), big)
        XCTAssertEqual(try r.get(b("big2")), big)
        XCTAssertEqual(try r.get(b("small2")), b("y"))
        try r.close()
    }

    func testScansAreOrderedAndPaginate() throws {
        let s = try Store.open(path: dir)
        var expected: [[UInt8]] = []
        for i in stride(from: 99, through: 0, by: -1) {
            try s.put(b(String(format: "p/%03d", i)), b("v\(i)"))
            expected.insert(b(String(format: "p/%03d", i)), at: 0)
        }
        try s.put(b("p"), b("not under p/"))
        try s.put(b("q/000"), b("other"))
        try s.put(b("o/999"), b("other"))
        XCTAssertEqual(try s.keys(prefix: b("p/"), limit: 1000), expected)
        // Cursor pagination.
        var got: [[UInt8]] = []
        var after: [UInt8]?
        while true {
            let page = try s.scan(prefix: b("p/"), after: after, limit: 7)
            if page.isEmpty { break }
            for (k, v) in page { XCTAssertEqual(v, b("v\(Int(String(decoding: k.dropFirst(2), as: UTF8.self))!)")) }
            got += page.map(\.key)
            after = page.last!.key
        }
        XCTAssertEqual(got, expected)
        // Offset pages.
        XCTAssertEqual(try s.keys(prefix: b("p/"), offset: 95, limit: 10), Array(expected[95...]))
        XCTAssertEqual(try s.scan(prefix: b("p/"), offset: 10, limit: 2).map(\.key), Array(expected[10..<12]))
        // `after` before the prefix starts at the prefix; after the range yields nothing.
        XCTAssertEqual(try s.keys(prefix: b("p/"), after: b("a"), limit: 1), [expected[0]])
        XCTAssertEqual(try s.keys(prefix: b("p/"), after: b("p/z"), limit: 5), [])
        XCTAssertEqual(try s.keys(prefix: b("p/"), limit: 0), [])
        // Visitor with early stop.
        var visited = 0
        try s.visit(prefix: b("p/"), after: nil) { k, v in
            visited += 1
            XCTAssertTrue(k.starts(with: b("p/")))
            XCTAssertEqual(v.first, UInt8(ascii: "v"))
            return visited < 42
        }
        XCTAssertEqual(visited, 42)
        XCTAssertEqual(try s.keys(prefix: [], limit: 1000).count, 103)
        try s.close()
    }

    func testWriteBatchIsAppliedInOrderAndAtomically() throws {
        let s = try Store.open(path: dir)
        try s.put(b("a"), b("old"))
        var batch = WriteBatch()
        batch.put(b("a"), b("1"))
        batch.put(b("b"), b("2"))
        batch.delete(b("a"))
        batch.put(b("c"), b("3"))
        batch.put(b("c"), b("4"))
        XCTAssertEqual(batch.count, 5)
        try s.write(batch)
        XCTAssertNil(try s.get(b("a")))
        XCTAssertEqual(try s.get(b("b")), b("2"))
        XCTAssertEqual(try s.get(b("c")), b("4"))
        // A batch with one oversized value is rejected as a whole.
        var bad = WriteBatch()
        bad.put(b("d"), b("5"))
        bad.put([UInt8](repeating: 1, count: 5000), b("x"))
        XCTAssertThrowsError(try s.write(bad)) {
            XCTAssertEqual($0 as? StoreError, .keyTooLarge(size: 5000, limit: 4096))
        }
        XCTAssertNil(try s.get(b("d")))
        try s.write(WriteBatch())
        try s.close()
        let r = try Store.open(path: dir, options: { var o = StoreOptions(); o.writeHintOnClose = false; return o }())
        XCTAssertNil(try r.get(b("a")))
        XCTAssertEqual(try r.get(b("c")), b("4"))
        XCTAssertNil(try r.get(b("d")))
        try r.close()
    }

    func testLimitsAreCheckedWithClearErrors() throws {
        var o = StoreOptions()
        o.maxKeySize = 100
        o.maxValueSize = 1000
        let s = try Store.open(path: dir, options: o)
        try s.put([UInt8](repeating: 1, count: 100), [UInt8](repeating: 2, count: 1000))
        XCTAssertThrowsError(try s.put([UInt8](repeating: 1, count: 101), [])) { e in
            XCTAssertEqual(e as? StoreError, .keyTooLarge(size: 101, limit: 100))
            XCTAssertTrue("\(e)".contains("101") && "\(e)".contains("100"), "\(e)")
        }
        XCTAssertThrowsError(try s.put(b("k"), [UInt8](repeating: 0, count: 1001))) { e in
            XCTAssertEqual(e as? StoreError, .valueTooLarge(size: 1001, limit: 1000))
            XCTAssertTrue("\(e)".contains("1001") && "\(e)".contains("1000"), "\(e)")
        }
        XCTAssertThrowsError(try s.delete([UInt8](repeating: 1, count: 101)))
        XCTAssertEqual(s.statistics().liveKeys, 1)
        try s.close()
        var bad = StoreOptions()
        bad.segmentSizeLimit = 100
        XCTAssertThrowsError(try Store.open(path: dir, options: bad)) { e in
            guard case .invalidOptions = e as? StoreError else { return XCTFail("\(e)") }
        }
        bad = StoreOptions()
        bad.maxKeySize = 40000
        XCTAssertThrowsError(try Store.open(path: dir, options: bad))
    }

    func testLongKeysUpToTheFormatLimit() throws {
        var o = StoreOptions()
        o.maxKeySize = Limits.maxKeySize
        let s = try Store.open(path: dir, options: o)
        var rng = TestRng(9)
        var model: [[UInt8]: [UInt8]] = [:]
        let common = rng.bytes(3000)
        for i in 0..<300 {
            let key = common + rng.bytes(rng.below(3) == 0 ? 29000 : 1 + rng.below(600)) + b("\(i)")
            let value = rng.bytes(rng.below(200))
            try s.put(key, value)
            model[key] = value
        }
        XCTAssertNil(s.checkIndex())
        try s.close()
        let r = try Store.open(path: dir, options: o)
        XCTAssertTrue(r.recoveryReport.usedHintFile)
        for (k, v) in model { XCTAssertEqual(try r.get(k), v) }
        XCTAssertEqual(try r.keys(prefix: common, limit: 1000), model.keys.sorted { $0.lexicographicallyPrecedes($1) })
        XCTAssertNil(r.checkIndex())
        try r.close()
    }

    func testSecondOpenInTheSameProcessIsRefused() throws {
        let s = try Store.open(path: dir)
        XCTAssertThrowsError(try Store.open(path: dir)) { e in
            XCTAssertEqual(e as? StoreError, .locked(path: dir, holderPID: getpid()))
            XCTAssertTrue("\(e)".contains("\(getpid())"), "\(e)")
        }
        try s.close()
        try Store.open(path: dir).close()
    }

    func testSecondProcessIsRefusedWithTheHoldersPID() throws {
        guard let products = productsDirectory(containing: "nx-store-crashwriter") else {
            return XCTFail("nx-store-crashwriter not found next to the test bundle; build it with `swift build` first")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: products + "/nx-store-crashwriter")
        p.arguments = ["hold-lock", dir]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let line = String(decoding: out.fileHandleForReading.availableData, as: UTF8.self)
        XCTAssertTrue(line.hasPrefix("ready"), line)
        XCTAssertThrowsError(try Store.open(path: dir)) { e in
            XCTAssertEqual(e as? StoreError, .locked(path: dir, holderPID: p.processIdentifier))
        }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        // The lock dies with its holder.
        try Store.open(path: dir).close()
    }

    /// Immutable segments are read through their mappings: open descriptors stay at the lock
    /// file and the active segment however many segments there are.
    func testFileDescriptorsStayBoundedWithManySegments() throws {
        func openFDs() -> Int { ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count }
        let before = openFDs()
        var o = StoreOptions()
        o.segmentSizeLimit = 4096
        o.mergeGarbageRatio = nil
        var s = try Store.open(path: dir, options: o)
        for i in 0..<3000 { try s.put(b("k\(i % 700)"), [UInt8](repeating: 1, count: 60)) }
        XCTAssertGreaterThan(s.statistics().segments.count, 50)
        XCTAssertLessThanOrEqual(openFDs() - before, 2)
        try s.sync()
        XCTAssertLessThanOrEqual(openFDs() - before, 2)
        try s.close()
        s = try Store.open(path: dir, options: o)
        XCTAssertLessThanOrEqual(openFDs() - before, 2)
        try s.merge()
        XCTAssertLessThanOrEqual(openFDs() - before, 2)
        XCTAssertEqual(s.statistics().liveKeys, 700)
        try s.close()
        XCTAssertEqual(openFDs(), before)
    }

    func testStatisticsTrackLiveAndGarbageBytes() throws {
        var o = StoreOptions()
        o.segmentSizeLimit = 64 << 10
        o.mergeGarbageRatio = nil
        let s = try Store.open(path: dir, options: o)
        for i in 0..<2000 { try s.put(b("k\(i % 500)"), [UInt8](repeating: UInt8(i & 255), count: 100)) }
        let st = s.statistics()
        XCTAssertEqual(st.liveKeys, 500)
        XCTAssertGreaterThan(st.segments.count, 2)
        XCTAssertEqual(st.segments.filter(\.isActive).count, 1)
        XCTAssertEqual(st.totalBytes, st.liveBytes + st.garbageBytes + st.segments.count * SegmentHeader.size)
        // Exactly 3 of every 4 records are superseded.
        XCTAssertEqual(Double(st.garbageBytes) / Double(st.garbageBytes + st.liveBytes), 0.75, accuracy: 0.01)
        XCTAssertEqual(st.fsyncCount, 0)
        try s.merge()
        let after = s.statistics()
        XCTAssertEqual(after.garbageBytes, 0)
        XCTAssertEqual(after.liveKeys, 500)
        XCTAssertEqual(after.mergeCount, 1)
        try s.close()
    }
}
