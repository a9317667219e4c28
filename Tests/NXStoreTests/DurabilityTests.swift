import Foundation
import XCTest
@testable import NXStore

/// What each durability mode does on the write path, counted (the crash test checks the
/// guarantees under SIGKILL).
final class DurabilityTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = makeTempDir("durable") }
    override func tearDown() { removeTree(dir) }

    func testNoneIssuesNoFsyncAndReachesTheOSByClose() throws {
        let s = try Store.open(path: dir)
        for i in 0..<5000 { try s.put(b("k\(i)"), b("v\(i)")) }
        XCTAssertEqual(s.statistics().fsyncCount, 0)
        try s.close()
        let r = try Store.open(path: dir)
        XCTAssertEqual(r.statistics().liveKeys, 5000)
        XCTAssertEqual(try r.get(b("k4999")), b("v4999"))
        try r.close()
    }

    func testSyncMakesNoneModeWritesDurableIncludingRotatedSegments() throws {
        var o = StoreOptions()
        o.segmentSizeLimit = 16 << 10
        let s = try Store.open(path: dir, options: o)
        for i in 0..<2000 { try s.put(b("k\(i)"), [UInt8](repeating: 1, count: 50)) }
        let segments = s.statistics().segments.count
        XCTAssertGreaterThan(segments, 3)
        try s.sync()
        // Every rotated segment (kept open since its rotation) plus the active one.
        XCTAssertEqual(s.statistics().fsyncCount, segments)
        try s.close()
    }

    func testAlwaysIssuesOneFdatasyncPerWriteCall() throws {
        let s = try Store.open(path: dir, options: StoreOptions(durability: .always))
        for i in 0..<40 { try s.put(b("k\(i)"), b("v")) }
        var batch = WriteBatch()
        for i in 0..<10 { batch.put(b("b\(i)"), b("v")) }
        try s.write(batch)
        try s.delete(b("k0"))
        try s.delete(b("absent"))  // nothing to write, nothing to sync
        let st = s.statistics()
        XCTAssertEqual(st.fsyncCount, 42)
        XCTAssertEqual(st.durableWrites, 42)
        try s.close()
    }

    /// Group commit: writers on several threads are all acknowledged, and fewer fdatasyncs
    /// than write calls cover them.
    func testGroupCommitSharesFsyncsBetweenConcurrentWriters() throws {
        let s = try Store.open(path: dir, options: StoreOptions(durability: .group(maxWait: .milliseconds(1))))
        let threads = 8, perThread = 150
        let done = DispatchGroup()
        for t in 0..<threads {
            done.enter()
            Thread.detachNewThread {
                for i in 0..<perThread {
                    do { try s.put(b("t\(t)/\(i)"), [UInt8](repeating: UInt8(t), count: 64)) } catch { XCTFail("\(error)") }
                }
                done.leave()
            }
        }
        done.wait()
        let st = s.statistics()
        let writes = threads * perThread
        print("group commit: \(threads) threads, \(writes) acknowledged writes, \(st.fsyncCount) fdatasyncs")
        XCTAssertEqual(st.durableWrites, writes)
        XCTAssertLessThan(st.fsyncCount, writes / 2, "concurrent writers should share fdatasyncs")
        XCTAssertGreaterThan(st.fsyncCount, 0)
        try s.close()
        let r = try Store.open(path: dir)
        XCTAssertEqual(r.statistics().liveKeys, writes)
        try r.close()
    }

    func testGroupCommitSingleWriterDoesNotWaitForCompany() throws {
        let s = try Store.open(path: dir, options: StoreOptions(durability: .group(maxWait: .milliseconds(50))))
        let start = Date()
        for i in 0..<40 { try s.put(b("k\(i)"), b("v")) }
        // A lone writer never gathers: 40 writes must not take 40 x 50 ms.
        XCTAssertLessThan(Date().timeIntervalSince(start), 1.0)
        XCTAssertEqual(s.statistics().fsyncCount, 40)
        try s.close()
    }
}
