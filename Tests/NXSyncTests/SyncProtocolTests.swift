import Foundation
import NXStore
import XCTest
@testable import NXSync

/// The sync engine's protocol between a few engines, messages passed by hand.
final class SyncProtocolTests: XCTestCase {
    var dir: TempDirectory!
    var stores: [Store] = []

    override func setUp() { dir = TempDirectory("nxsync-proto") }

    override func tearDown() {
        for s in stores { try? s.close() }
        stores = []
        dir.cleanup()
    }

    func engine(_ n: UInt64, _ configure: (inout SyncConfiguration) -> Void = { _ in }) throws -> ReplicationEngine {
        var c = testConfiguration(id: node(n), seed: n)
        configure(&c)
        let (s, e) = try openEngine(dir.sub("n\(n)-\(stores.count)"), c)
        stores.append(s)
        return e
    }

    func connect(_ engines: [ReplicationEngine]) {
        for e in engines {
            e.setPeers(engines.filter { $0 !== e }.map { SyncPeer(id: $0.localNode, address: "10.0.0.\($0.localNode.low):7400") })
        }
    }

    /// Every key of every kind that any engine has, compared across engines.
    func assertSameState(_ engines: [ReplicationEngine], file: StaticString = #filePath, line: UInt = #line) throws {
        for kind in CRDTKind.allCases {
            var keys = Set<[UInt8]>()
            for e in engines { keys.formUnion(try e.keys(of: kind)) }
            for key in keys {
                let states = try engines.map { try $0.encodedState(kind, key) }
                XCTAssertTrue(states.allSatisfy { $0 == states[0] }, "\(kind) \(text(key)) differs", file: file, line: line)
            }
        }
    }

    /// A few operations of every kind.
    func writeMix(_ e: ReplicationEngine, _ tag: String) throws {
        try e.gcounterIncrement(bytes("g"), by: 2)
        try e.pncounterAdd(bytes("p"), -5)
        try e.lwwSet(bytes("r"), bytes("from-\(tag)"))
        try e.lwwMapSet(bytes("m"), field: bytes(tag), value: bytes("v"))
        try e.orsetAdd(bytes("s"), bytes(tag))
        let id = try e.rgaInsert(bytes("l"), after: nil, value: bytes(tag + "1"))
        _ = try e.rgaInsert(bytes("l"), after: id, value: bytes(tag + "2"))
    }

    func testPushGoesToFanoutPeersAndReplicates() throws {
        let a = try engine(1) { $0.fanout = 2; $0.forwardHops = 0 }
        let others = try (2...6).map { try engine($0) { $0.forwardHops = 0 } }
        connect([a] + others)
        try writeMix(a, "a")
        let out = a.localOperationsOutbound()
        XCTAssertEqual(Set(out.map(\.to)).count, 2, "pushed to exactly `fanout` peers")
        XCTAssertTrue(out.allSatisfy { $0.payload.count <= 1100 })
        XCTAssertEqual(a.pushQueueCount, 0)
        let byID = Dictionary(uniqueKeysWithValues: ([a] + others).map { ($0.localNode, $0) })
        deliverAll(out, from: a.localNode, byID)
        let reached = others.filter { $0.versionVector()[node(1)] == 7 }
        XCTAssertEqual(reached.count, 2)
        try assertSameState([a] + reached)
        XCTAssertEqual(try reached[0].rgaValues(bytes("l")).map(text), ["a1", "a2"])
    }

    func testForwardingSpreadsNewOperationsOneHopFurther() throws {
        let engines = try (1...8).map { n in try engine(UInt64(n)) { $0.fanout = 2; $0.forwardHops = 1 } }
        connect(engines)
        try engines[0].gcounterIncrement(bytes("g"), by: 1)
        let byID = Dictionary(uniqueKeysWithValues: engines.map { ($0.localNode, $0) })
        deliverAll(engines[0].localOperationsOutbound(), from: engines[0].localNode, byID)
        let reached = engines.filter { (try? $0.gcounterValue(bytes("g"))) == 1 }.count
        XCTAssertGreaterThanOrEqual(reached, 4, "origin + 2 direct + forwarded by each of them")
        XCTAssertLessThanOrEqual(reached, 7)
        // Forwarding stops at the hop limit: every message was an ops message of hop 0 or 1.
        XCTAssertLessThanOrEqual(engines.reduce(0) { $0 + $1.statistics.messagesSent }, 2 + 2 * 2)
    }

    func testOperationsWaitForTheirRGAParent() throws {
        let a = try engine(1), b = try engine(2), c = try engine(3)
        connect([a, b, c])
        let x = try a.rgaInsert(bytes("l"), after: nil, value: bytes("x"))
        let fromA = a.localOperationsOutbound().first { $0.to == b.localNode }!
        _ = b.handle(fromA.payload, from: a.localNode, now: 0)
        _ = try b.rgaInsert(bytes("l"), after: x, value: bytes("y"))
        try b.rgaDelete(bytes("l"), id: x)
        let fromB = b.localOperationsOutbound().first { $0.to == c.localNode }!
        // C receives B's insert-after-x and delete-x before A's insert of x.
        _ = c.handle(fromB.payload, from: b.localNode, now: 0)
        XCTAssertEqual(c.bufferedOperationCount, 2)
        XCTAssertEqual(try c.rgaValues(bytes("l")), [])
        XCTAssertEqual(c.versionVector()[node(2)], nil)
        _ = c.handle(fromA.payload, from: a.localNode, now: 0)
        XCTAssertEqual(c.bufferedOperationCount, 0)
        XCTAssertEqual(try c.rgaValues(bytes("l")).map(text), ["y"])
        XCTAssertEqual(c.versionVector(), [node(1): 1, node(2): 2])
        XCTAssertEqual(c.statistics.bufferedOperations, 2)
    }

    func testOutOfOrderAndDuplicateDelivery() throws {
        let a = try engine(1), b = try engine(2)
        connect([a, b])
        var messages: [[UInt8]] = []
        for i in 0..<5 {
            try a.lwwSet(bytes("r"), [UInt8(i)])
            messages.append(a.localOperationsOutbound()[0].payload)
        }
        for m in messages.reversed() { _ = b.handle(m, from: a.localNode, now: 0) }
        XCTAssertEqual(try b.lwwGet(bytes("r")), [4])
        XCTAssertEqual(b.versionVector(), [node(1): 5])
        for m in messages { _ = b.handle(m, from: a.localNode, now: 0) }
        XCTAssertEqual(b.statistics.duplicateOperations, 5)
        XCTAssertEqual(b.statistics.remoteOperationsApplied, 5)
        try assertSameState([a, b])
    }

    func testAntiEntropySendsOnlyMissingOperations() throws {
        let a = try engine(1), b = try engine(2)
        connect([a, b])
        for i in 1...50 { try a.pncounterAdd(bytes("p"), Int64(i)) }
        let pushed = a.localOperationsOutbound().filter { $0.to == b.localNode }
        XCTAssertGreaterThan(pushed.count, 1)
        // B got the first message only.
        guard case let .ops(_, first) = try Message(decoding: pushed[0].payload) else { return XCTFail() }
        let delivered = first.count
        _ = b.handle(pushed[0].payload, from: a.localNode, now: 0)
        XCTAssertEqual(b.versionVector()[node(1)], UInt64(delivered))
        // B's digest makes A send exactly the missing ones.
        let digest = b.makeDigestForTest()
        let replies = a.handle(digest, from: b.localNode, now: 0)
        var sentOps = 0
        for r in replies {
            if case let .ops(_, ops) = try Message(decoding: r.payload) { sentOps += ops.count }
            _ = b.handle(r.payload, from: a.localNode, now: 0)
        }
        XCTAssertEqual(sentOps, 50 - delivered)
        XCTAssertEqual(a.statistics.antiEntropyOperationsSent, 50 - delivered)
        XCTAssertEqual(try b.pncounterValue(bytes("p")), (1...50).reduce(0, +))
    }

    func testAntiEntropyRepairsBothDirections() throws {
        let engines = try (1...4).map { try engine(UInt64($0)) }
        for (i, e) in engines.enumerated() { try writeMix(e, "n\(i)") }
        for e in engines { _ = e.localOperationsOutbound() }  // pushes lost
        let rounds = syncUntilEqual(engines)
        XCTAssertLessThan(rounds, 50)
        try assertSameState(engines)
        XCTAssertEqual(try engines[0].gcounterValue(bytes("g")), 8)
        XCTAssertEqual(try engines[3].orsetElements(bytes("s")).map(text), ["n0", "n1", "n2", "n3"])
        XCTAssertEqual(try engines[2].rgaValues(bytes("l")).count, 8)
    }

    func testPeerBehindTheRetainedLogGetsAStateTransfer() throws {
        let a = try engine(1) { $0.maxLogOpsPerOrigin = 10; $0.stateChunkBytes = 600 }
        let b = try engine(2) { $0.maxLogOpsPerOrigin = 10 }
        for i in 0..<60 {
            try a.gcounterIncrement(bytes("g"), by: 1)
            try a.orsetAdd(bytes("s"), bytes("e\(i % 7)"))
            _ = try a.rgaInsert(bytes("l"), after: nil, value: bytes("v\(i)"))
            if i % 3 == 0 { try a.lwwMapSet(bytes("m"), field: bytes("f\(i % 5)"), value: Array(repeating: UInt8(i), count: 100)) }
        }
        XCTAssertEqual(a.logStatus()[node(1)]?.floor, a.versionVector()[node(1)]! - 10)
        _ = a.localOperationsOutbound()
        let rounds = syncUntilEqual([a, b])
        XCTAssertLessThan(rounds, 50)
        XCTAssertGreaterThanOrEqual(b.statistics.stateTransfersCompleted, 1)
        XCTAssertGreaterThan(a.statistics.stateChunksServed, 3, "the state travelled in several chunks")
        try assertSameState([a, b])
        XCTAssertEqual(try b.gcounterValue(bytes("g")), 60)
        XCTAssertEqual(try b.rgaValues(bytes("l")).count, 60)
        XCTAssertEqual(b.logStatus()[node(1)]?.floor, b.versionVector()[node(1)], "b holds no log of a's old ops")

        // b keeps up with operations after the transfer, and can pass a's state on.
        try a.gcounterIncrement(bytes("g"), by: 5)
        syncUntilEqual([a, b])
        XCTAssertEqual(try b.gcounterValue(bytes("g")), 65)
        let c = try engine(3)
        syncUntilEqual([b, c])
        try assertSameState([a, b, c])
    }

    func testStateChunksRespectTheirSize() throws {
        let a = try engine(1) { $0.stateChunkBytes = 2000 }
        for i in 0..<40 { try a.lwwMapSet(bytes("m"), field: bytes("field-\(i)"), value: Array(repeating: 1, count: 300)) }
        try a.lwwSet(bytes("big"), Array(repeating: 2, count: 10_000))
        var cursor: [UInt8] = []
        var chunks = 0
        while true {
            let replies = a.handle(Message.stateRequest(session: 9, cursor: cursor).encode(), from: node(2), now: 0)
            guard case let .stateChunk(c) = try Message(decoding: XCTUnwrap(replies.first).payload) else { return XCTFail() }
            chunks += 1
            if c.records.count > 1 { XCTAssertLessThanOrEqual(c.recordBytes, 2000) }
            if c.done { break }
            cursor = c.records.last!.name
        }
        XCTAssertGreaterThanOrEqual(chunks, 7)
    }

    func testMalformedMessagesAreCountedAndChangeNothing() throws {
        let a = try engine(1), b = try engine(2)
        connect([a, b])
        try writeMix(a, "a")
        let good = a.localOperationsOutbound().filter { $0.to == b.localNode }.map(\.payload)
        var rng = SeededRandom(seed: 5)
        var sent = 0
        for _ in 0..<2000 {
            var m = good[rng.below(good.count)]
            if rng.chance(0.5) {
                m = Array(m.prefix(rng.below(m.count)))
            } else {
                m[rng.below(m.count)] ^= UInt8(1 + rng.below(255))
            }
            if (try? Message(decoding: m)) != nil { continue }  // a mutation that is still valid
            XCTAssertEqual(b.handle(m, from: a.localNode, now: 0), [])
            sent += 1
        }
        XCTAssertEqual(b.handle([], from: a.localNode, now: 0), [])
        XCTAssertEqual(b.handle([7, 1, 2], from: a.localNode, now: 0), [])
        XCTAssertEqual(b.statistics.malformedMessages, sent + 2)
        XCTAssertEqual(b.versionVector(), [:])
        // The real messages still work afterwards.
        for m in good { _ = b.handle(m, from: a.localNode, now: 0) }
        try assertSameState([a, b])
    }

    func testBadStateChunksAreRejected() throws {
        let a = try engine(1), b = try engine(2)
        for i in 0..<5 { try a.orsetAdd(bytes("s"), bytes("e\(i)")) }
        // Start a transfer on b by showing it a digest it is behind of.
        _ = b.handle(Message.digest(wantsReply: false, complete: true, entries: [DigestEntry(origin: node(1), applied: 5, floor: 5)]).encode(),
                     from: a.localNode, now: 0)
        XCTAssertEqual(b.statistics.stateTransfersStarted, 1)
        let session = b.inboundSessionForTest!
        var chunk = StateChunk(session: session, cursor: [])
        chunk.versionVector = [(node(1), 5)]
        chunk.done = true
        // A record filed under the wrong element hash.
        var set = ORSet()
        set.add(bytes("x"), tag: OpId(origin: node(1), seq: 1))
        chunk.records = [(StoreKeys.relativeBase(.orset, bytes("s")) + Array(repeating: 0, count: 32), set.encodeRecord(bytes("x"))!)]
        XCTAssertEqual(b.handle(Message.stateChunk(chunk).encode(), from: a.localNode, now: 0), [])
        XCTAssertEqual(b.statistics.malformedMessages, 1)
        XCTAssertEqual(b.statistics.stateTransfersAbandoned, 1)
        XCTAssertEqual(try b.orsetElements(bytes("s")), [])
        XCTAssertEqual(b.versionVector(), [:])
        // A chunk for a session that is not running is ignored.
        chunk.records = []
        XCTAssertEqual(b.handle(Message.stateChunk(chunk).encode(), from: a.localNode, now: 0), [])
        XCTAssertEqual(b.versionVector(), [:])
    }

    func testCausalBufferIsBounded() throws {
        let a = try engine(1)
        let b = try engine(2) { $0.maxBufferedOps = 5; $0.bufferedOpTTLMs = 1000 }
        connect([a, b])
        var messages: [[UInt8]] = []
        for i in 0..<11 {
            try a.gcounterIncrement(bytes("g"), by: UInt64(i + 1))
            messages.append(a.localOperationsOutbound()[0].payload)
        }
        for m in messages.dropFirst() { _ = b.handle(m, from: a.localNode, now: 100) }  // seq 1 missing
        XCTAssertEqual(b.bufferedOperationCount, 5)
        XCTAssertEqual(b.statistics.bufferOverflowDrops, 5)
        _ = b.tick(now: 100)
        _ = b.tick(now: 2000)
        XCTAssertEqual(b.bufferedOperationCount, 0, "expired by the TTL")
        XCTAssertEqual(b.statistics.bufferExpired, 5)
        syncUntilEqual([a, b], start: 3000)
        XCTAssertEqual(try b.gcounterValue(bytes("g")), 66)
    }

    func testFullBufferKeepsTheOperationsClosestToApplying() throws {
        let a = try engine(1)
        let b = try engine(2) { $0.maxBufferedOps = 3 }
        connect([a, b])
        var messages: [[UInt8]] = []
        for i in 0..<10 {
            try a.lwwMapSet(bytes("m"), field: bytes("f\(i)"), value: [UInt8(i)])
            messages.append(a.localOperationsOutbound().first { $0.to == b.localNode }!.payload)
        }
        for m in messages[4...] { _ = b.handle(m, from: a.localNode, now: 0) }  // seqs 5...10
        XCTAssertEqual(b.bufferedOperationCount, 3, "5, 6, 7 kept; 8, 9, 10 dropped")
        XCTAssertEqual(b.statistics.bufferOverflowDrops, 3)
        _ = b.handle(messages[1], from: a.localNode, now: 0)  // seq 2 evicts 7, the furthest
        XCTAssertEqual(b.bufferedOperationCount, 3)
        XCTAssertEqual(b.statistics.bufferOverflowDrops, 4)
        _ = b.handle(messages[0], from: a.localNode, now: 0)  // seq 1 applies at once, then 2
        XCTAssertEqual(b.versionVector()[node(1)], 2)
        _ = b.handle(messages[2], from: a.localNode, now: 0)
        _ = b.handle(messages[3], from: a.localNode, now: 0)
        XCTAssertEqual(b.versionVector()[node(1)], 6, "3 and 4 unblocked the buffered 5 and 6")
        XCTAssertEqual(b.bufferedOperationCount, 0)
        syncUntilEqual([a, b])
        XCTAssertEqual(try b.lwwMapEntries(bytes("m")).count, 10)
    }

    func testPushQueueIsBoundedAndAntiEntropyDeliversTheRest() throws {
        let a = try engine(1) { $0.maxPushQueueOps = 3 }
        let b = try engine(2)
        connect([a, b])
        for _ in 0..<10 { try a.gcounterIncrement(bytes("g"), by: 1) }
        XCTAssertEqual(a.pushQueueCount, 3)
        XCTAssertEqual(a.statistics.pushQueueDrops, 7)
        for m in a.localOperationsOutbound() { _ = b.handle(m.payload, from: a.localNode, now: 0) }
        XCTAssertEqual(b.bufferedOperationCount, 3, "the newest three wait for the dropped ones")
        syncUntilEqual([a, b])
        XCTAssertEqual(try b.gcounterValue(bytes("g")), 10)
    }

    func testOneMebibyteValueReplicates() throws {
        let a = try engine(1), b = try engine(2)
        connect([a, b])
        let big = (0..<SyncLimits.maxValueBytes).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try a.lwwSet(bytes("blob"), big)
        let out = a.localOperationsOutbound()
        XCTAssertEqual(out.count, 1)
        XCTAssertGreaterThan(out[0].payload.count, SyncLimits.maxValueBytes)
        XCTAssertLessThan(out[0].payload.count, SyncLimits.maxValueBytes + 4096)
        _ = b.handle(out[0].payload, from: a.localNode, now: 0)
        XCTAssertEqual(try b.lwwGet(bytes("blob")), big)
    }

    func testRestartedNodeKeepsStateAndCatchesUp() throws {
        let a = try engine(1)
        let pathB = dir.sub("restart-b")
        var b: ReplicationEngine? = try openEngine(pathB, testConfiguration(id: node(2))).1
        connect([a, b!])
        try writeMix(a, "a")
        try writeMix(b!, "b")
        syncUntilEqual([a, b!])
        // Crash b (dropped without close), keep writing on a, restart b.
        b = nil
        try writeMix(a, "a2")
        let (storeB2, b2) = try openEngine(pathB, testConfiguration(id: node(2)))
        stores.append(storeB2)
        XCTAssertEqual(b2.localNode, node(2))
        XCTAssertEqual(try b2.orsetElements(bytes("s")).map(text), ["a", "b"], "state survived the restart")
        syncUntilEqual([a, b2])
        try assertSameState([a, b2])
        XCTAssertEqual(try b2.orsetElements(bytes("s")).map(text), ["a", "a2", "b"])
    }

    func testNodeThatLostItsOwnOperationsAdoptsThemFromPeers() throws {
        let a = try engine(1), b = try engine(2)
        connect([a, b])
        for _ in 0..<5 { try a.gcounterIncrement(bytes("g"), by: 1) }
        syncUntilEqual([a, b])
        // a's store is lost; it comes back with the same identity and an empty store.
        let (store, a2) = try openEngine(dir.sub("a-reborn"), testConfiguration(id: node(1)))
        stores.append(store)
        XCTAssertEqual(a2.versionVector(), [:])
        syncUntilEqual([a2, b])
        XCTAssertEqual(a2.versionVector()[node(1)], 5)
        try a2.gcounterIncrement(bytes("g"), by: 1)
        XCTAssertEqual(a2.versionVector()[node(1)], 6, "new operations continue after the adopted ones")
        syncUntilEqual([a2, b])
        XCTAssertEqual(try b.gcounterValue(bytes("g")), 6)
    }

    func testPeersAreReportedWithAddressesAndHexIds() throws {
        let a = try engine(1)
        a.setPeers([SyncPeer(id: node(2), address: "10.0.0.2:7400"), SyncPeer(id: node(1), address: "self"),
                    SyncPeer(id: node(2), address: "dup")])
        let peers = a.peers()
        XCTAssertEqual(peers.count, 1)
        XCTAssertEqual(peers[0].address, "10.0.0.2:7400")
        XCTAssertEqual(peers[0].nodeID, Array(node(2).hex.utf8))
    }
}

extension ReplicationEngine {
    func makeDigestForTest() -> [UInt8] { lock.withLock { makeDigest(wantsReply: true) } }
    var inboundSessionForTest: UInt64? { lock.withLock { inbound?.id } }
}
