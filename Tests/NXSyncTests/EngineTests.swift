import Foundation
import NXStore
import XCTest
@testable import NXSync

/// The host-facing API of the engine: semantics, identity, durability and atomicity.
final class EngineTests: XCTestCase {
    var dir: TempDirectory!

    override func setUp() { dir = TempDirectory("nxsync-engine") }
    override func tearDown() { dir.cleanup() }

    func testNodeIdIsCreatedPersistedAndShownAsHex() throws {
        let path = dir.sub("a")
        var first: NodeId
        do {
            var c = SyncConfiguration()
            c.randomSeed = 1
            let (store, engine) = try openEngine(path, c)
            first = engine.localNode
            XCTAssertEqual(engine.nodeID.count, 32)
            XCTAssertEqual(engine.nodeID, Array(first.hex.utf8))
            XCTAssertTrue(engine.nodeID.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }, "lowercase hex")
            let stored = try XCTUnwrap(try store.get(Array("__nx/sync/node-id".utf8)))
            XCTAssertEqual(stored, [1] + first.bytes)
            try store.close()
        }
        // Reopening keeps the id (a configured id for new stores is ignored).
        let (store, engine) = try openEngine(path, testConfiguration(id: node(99)))
        XCTAssertEqual(engine.localNode, first)
        try store.close()
    }

    func testHostAPISemanticsAndMaterialisedStateAfterRestart() throws {
        let path = dir.sub("a")
        let clock = ManualClock()
        var ids: [[UInt8]] = []
        do {
            let (store, e) = try openEngine(path, testConfiguration(id: node(1), clock: clock))
            try e.gcounterIncrement(bytes("visits"), by: 3)
            try e.gcounterIncrement(bytes("visits"), by: 4)
            try e.pncounterAdd(bytes("stock"), 10)
            try e.pncounterAdd(bytes("stock"), -13)
            try e.lwwSet(bytes("status"), bytes("online"))
            try e.lwwSet(bytes("status"), bytes("away"))  // same millisecond: still replaces
            try e.lwwMapSet(bytes("settings"), field: bytes("theme"), value: bytes("dark"))
            try e.lwwMapSet(bytes("settings"), field: bytes("region"), value: bytes("eu"))
            try e.lwwMapSet(bytes("settings"), field: bytes("lang"), value: bytes("fr"))
            try e.lwwMapRemove(bytes("settings"), field: bytes("region"))
            try e.orsetAdd(bytes("tags"), bytes("blue"))
            try e.orsetAdd(bytes("tags"), bytes("green"))
            try e.orsetRemove(bytes("tags"), bytes("blue"))
            ids.append(try e.rgaInsert(bytes("doc"), after: nil, value: bytes("first")))
            ids.append(try e.rgaInsert(bytes("doc"), after: ids[0], value: bytes("second")))
            ids.append(try e.rgaInsert(bytes("doc"), after: ids[1], value: bytes("third")))
            try e.rgaDelete(bytes("doc"), id: ids[1])
            XCTAssertTrue(ids.allSatisfy { $0.count == 16 })
            try check(e, ids)
            try store.close()
        }
        // Reads after a restart come from the materialised state in the store.
        let (store, e) = try openEngine(path, testConfiguration(id: node(7), clock: clock))
        try check(e, ids)
        XCTAssertEqual(e.versionVector(), [node(1): 17])
        try store.close()
    }

    private func check(_ e: ReplicationEngine, _ ids: [[UInt8]], line: UInt = #line) throws {
        XCTAssertEqual(try e.gcounterValue(bytes("visits")), 7, line: line)
        XCTAssertEqual(try e.gcounterValue(bytes("never")), 0, line: line)
        XCTAssertEqual(try e.pncounterValue(bytes("stock")), -3, line: line)
        XCTAssertEqual(try e.lwwGet(bytes("status")), bytes("away"), line: line)
        XCTAssertNil(try e.lwwGet(bytes("unset")), line: line)
        XCTAssertEqual(try e.lwwMapGet(bytes("settings"), field: bytes("theme")), bytes("dark"), line: line)
        XCTAssertNil(try e.lwwMapGet(bytes("settings"), field: bytes("region")), line: line)
        XCTAssertEqual(try e.lwwMapEntries(bytes("settings")).map { text($0.field) + "=" + text($0.value) }, ["lang=fr", "theme=dark"], line: line)
        XCTAssertFalse(try e.orsetContains(bytes("tags"), bytes("blue")), line: line)
        XCTAssertTrue(try e.orsetContains(bytes("tags"), bytes("green")), line: line)
        XCTAssertEqual(try e.orsetElements(bytes("tags")).map(text), ["green"], line: line)
        XCTAssertEqual(try e.rgaValues(bytes("doc")).map(text), ["first", "third"], line: line)
        XCTAssertEqual(try e.rgaIDs(bytes("doc")), [ids[0], ids[2]], line: line)
    }

    func testRGALookupsOfUnknownIdsThrowNotFound() throws {
        let (store, e) = try openEngine(dir.sub("a"), testConfiguration(id: node(1)))
        defer { try? store.close() }
        let id = try e.rgaInsert(bytes("doc"), after: nil, value: bytes("x"))
        let before = e.versionVector()
        XCTAssertThrowsError(try e.rgaInsert(bytes("doc"), after: Array(repeating: 9, count: 16), value: [])) {
            XCTAssertEqual($0 as? ReplicationLookupError, .notFound)
        }
        XCTAssertThrowsError(try e.rgaInsert(bytes("doc"), after: [1, 2, 3], value: [])) { XCTAssertEqual($0 as? ReplicationLookupError, .notFound) }
        XCTAssertThrowsError(try e.rgaInsert(bytes("other"), after: id, value: []), "an id of another key") {
            XCTAssertEqual($0 as? ReplicationLookupError, .notFound)
        }
        XCTAssertThrowsError(try e.rgaDelete(bytes("doc"), id: Array(repeating: 0, count: 16))) { XCTAssertEqual($0 as? ReplicationLookupError, .notFound) }
        XCTAssertEqual(e.versionVector(), before, "failed operations create no operation")
        try e.rgaDelete(bytes("doc"), id: id)
        try e.rgaDelete(bytes("doc"), id: id)  // deleting a tombstone again is fine and a no-op
        XCTAssertEqual(e.versionVector()[node(1)], 2)
    }

    func testNoOpsCreateNoOperations() throws {
        let (store, e) = try openEngine(dir.sub("a"), testConfiguration(id: node(1)))
        defer { try? store.close() }
        try e.orsetRemove(bytes("tags"), bytes("never-added"))
        try e.gcounterIncrement(bytes("c"), by: 0)
        try e.pncounterAdd(bytes("p"), 0)
        XCTAssertEqual(e.versionVector(), [:])
        XCTAssertEqual(e.statistics.localOperations, 0)
    }

    func testLimitsAreEnforced() throws {
        let (store, e) = try openEngine(dir.sub("a"), testConfiguration(id: node(1)))
        defer { try? store.close() }
        let longKey = Array(repeating: UInt8(1), count: SyncLimits.maxKeyBytes + 1)
        XCTAssertThrowsError(try e.gcounterIncrement(longKey, by: 1)) {
            XCTAssertEqual($0 as? CRDTError, .tooLarge(what: "key", size: 1025, limit: 1024))
        }
        XCTAssertThrowsError(try e.lwwSet(bytes("k"), Array(repeating: 0, count: SyncLimits.maxValueBytes + 1)))
        XCTAssertThrowsError(try e.lwwMapSet(bytes("k"), field: longKey, value: []))
        // The largest allowed value and key work (and the key's records fit the store).
        let maxKey = Array(repeating: UInt8(2), count: SyncLimits.maxKeyBytes)
        try e.lwwMapSet(maxKey, field: Array(repeating: 3, count: SyncLimits.maxFieldBytes), value: Array(repeating: 4, count: SyncLimits.maxValueBytes))
        XCTAssertEqual(try e.lwwMapEntries(maxKey).first?.value.count, SyncLimits.maxValueBytes)
        try e.gcounterIncrement(bytes("g"), by: .max)
        XCTAssertThrowsError(try e.gcounterIncrement(bytes("g"), by: 1)) {
            XCTAssertEqual($0 as? CRDTError, .counterOverflow(current: .max, delta: 1))
        }
        XCTAssertEqual(try e.gcounterValue(bytes("g")), .max)
    }

    func testEachOperationIsPersistedWithItsLogEntryAndVersionVector() throws {
        let (store, e) = try openEngine(dir.sub("a"), testConfiguration(id: node(1)))
        defer { try? store.close() }
        try e.orsetAdd(bytes("s"), bytes("x"))
        try e.gcounterIncrement(bytes("g"), by: 2)
        let keys = try store.keys(prefix: [], limit: 1000).map(text)
        XCTAssertTrue(keys.allSatisfy { $0.hasPrefix("__nx/") }, "the runtime writes only under __nx/: \(keys)")
        let hex = node(1).hex
        XCTAssertTrue(keys.contains("__nx/sync/log/\(hex)/0000000000000001"))
        XCTAssertTrue(keys.contains("__nx/sync/log/\(hex)/0000000000000002"))
        XCTAssertTrue(keys.contains("__nx/sync/vv/\(hex)"))
        XCTAssertEqual(keys.filter { $0.hasPrefix("__nx/crdt/orset/") }.count, 1)
        XCTAssertEqual(keys.filter { $0.hasPrefix("__nx/crdt/gcounter/") }.count, 1)
        let logged = try SyncOperation(decoding: try store.get(StoreKeys.log(node(1), 2))!)
        XCTAssertEqual(logged, SyncOperation(id: OpId(origin: node(1), seq: 2), key: bytes("g"), body: .gcounter(total: 2)))
        let vv = try OriginState(decoding: try store.get(StoreKeys.versionVector(node(1)))!)
        XCTAssertEqual(vv.applied, 2)
        XCTAssertEqual(vv.floor, 0)
    }

    func testFailedWriteLeavesStateAndSequenceUnchanged() throws {
        let path = dir.sub("a")
        let (store, e) = try openEngine(path, testConfiguration(id: node(1)))
        try e.gcounterIncrement(bytes("g"), by: 5)
        try store.close()
        XCTAssertThrowsError(try e.gcounterIncrement(bytes("g"), by: 1)) { XCTAssertEqual($0 as? StoreError, .closed) }
        XCTAssertEqual(e.versionVector(), [node(1): 1])
        XCTAssertEqual(e.pushQueueCount, 1, "the failed operation was not queued")
        let (store2, e2) = try openEngine(path, testConfiguration(id: node(1)))
        XCTAssertEqual(try e2.gcounterValue(bytes("g")), 5)
        try e2.gcounterIncrement(bytes("g"), by: 1)
        XCTAssertEqual(e2.versionVector(), [node(1): 2], "sequence 2 was not burnt by the failed write")
        try store2.close()
    }

    func testSequencesContinueAfterRestart() throws {
        let path = dir.sub("a")
        for round in 1...3 {
            let (store, e) = try openEngine(path, testConfiguration(id: node(1)))
            for _ in 0..<4 { try e.pncounterAdd(bytes("p"), 1) }
            XCTAssertEqual(e.versionVector()[node(1)], UInt64(4 * round))
            if round == 2 { continue }  // dropped without close: the store's deinit flushes
            try store.close()
        }
        let (store, e) = try openEngine(path, testConfiguration(id: node(1)))
        XCTAssertEqual(try e.pncounterValue(bytes("p")), 12)
        let log = try store.keys(prefix: StoreKeys.log(node(1)), limit: 100)
        XCTAssertEqual(log.count, 12)
        try store.close()
    }

    func testLogRetentionLimits() throws {
        var c = testConfiguration(id: node(1))
        c.maxLogOpsPerOrigin = 5
        let (store, e) = try openEngine(dir.sub("a"), c)
        defer { try? store.close() }
        for i in 0..<20 { try e.lwwSet(bytes("r"), [UInt8(i)]) }
        let status = try XCTUnwrap(e.logStatus()[node(1)])
        XCTAssertEqual(status.applied, 20)
        XCTAssertEqual(status.floor, 15)
        let log = try store.scan(prefix: StoreKeys.log(node(1)), limit: 100)
        XCTAssertEqual(log.map { try! SyncOperation(decoding: $0.value).id.seq }, [16, 17, 18, 19, 20])
        XCTAssertEqual(status.bytes, log.reduce(0) { $0 + $1.value.count })
        XCTAssertEqual(e.statistics.logEntriesTrimmed, 15)

        // Byte limit.
        var c2 = testConfiguration(id: node(2))
        c2.maxLogBytesPerOrigin = 3000
        let (store2, e2) = try openEngine(dir.sub("b"), c2)
        defer { try? store2.close() }
        for _ in 0..<10 { try e2.lwwSet(bytes("r"), Array(repeating: 1, count: 1000)) }
        let s2 = try XCTUnwrap(e2.logStatus()[node(2)])
        XCTAssertLessThanOrEqual(s2.bytes, 3000)
        XCTAssertEqual(s2.applied - s2.floor, 2)
        XCTAssertEqual(try e2.lwwGet(bytes("r"))?.count, 1000, "trimming the log does not touch the state")
    }

    func testConcurrentHostCallsAndTransportCalls() throws {
        let (store, e) = try openEngine(dir.sub("a"), testConfiguration(id: node(1)))
        defer { try? store.close() }
        e.setPeers([SyncPeer(id: node(2), address: "x")])
        let (store2, other) = try openEngine(dir.sub("b"), testConfiguration(id: node(2)))
        defer { try? store2.close() }
        for _ in 0..<50 { try other.gcounterIncrement(bytes("g"), by: 1) }
        let remote = other.localOperationsOutbound()
        XCTAssertTrue(remote.isEmpty, "no peers: nothing pushed")
        other.setPeers([SyncPeer(id: node(1), address: "y")])
        let digest = other.tick(now: 0) + other.tick(now: 10_000)
        XCTAssertFalse(digest.isEmpty)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            if worker == 0 {
                // The "transport" thread: digests and ticks.
                for i in 0..<100 {
                    // Both directions until quiet: digest -> digest reply -> missing ops.
                    var inFlight = digest.map { (to: e, from: node(2), payload: $0.payload) }
                    while let m = inFlight.popLast() {
                        for reply in m.to.handle(m.payload, from: m.from, now: UInt64(i)) {
                            inFlight.append(reply.to == node(1) ? (e, m.to.localNode, reply.payload) : (other, m.to.localNode, reply.payload))
                        }
                    }
                    _ = e.tick(now: UInt64(i * 10))
                }
            } else {
                for _ in 0..<200 { try! e.gcounterIncrement(bytes("g"), by: 1) }
            }
        }
        XCTAssertEqual(try e.gcounterValue(bytes("g")), 600 + 50)
        XCTAssertEqual(e.versionVector(), [node(1): 600, node(2): 50])
    }
}
