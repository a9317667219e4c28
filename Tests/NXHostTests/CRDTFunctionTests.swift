import NXEngine
import NXHost
import NXSync
import XCTest

/// A minimal in-memory stand-in for the sync layer: checks the host side (argument reading,
/// output encodings, error mapping) independently of CRDT semantics.
final class RecordingReplication: ReplicatedState {
    var counters: [[UInt8]: Int64] = [:]
    var signedCounters: [[UInt8]: Int64] = [:]
    var registers: [[UInt8]: [UInt8]] = [:]
    var maps: [[UInt8]: [[UInt8]: [UInt8]]] = [:]
    var sets: [[UInt8]: [[UInt8]]] = [:]
    var lists: [[UInt8]: [(id: [UInt8], value: [UInt8])]] = [:]

    func gcounterIncrement(_ key: [UInt8], by delta: UInt64) throws { counters[key, default: 0] += Int64(delta) }
    func gcounterValue(_ key: [UInt8]) throws -> UInt64 { UInt64(counters[key] ?? 0) }
    func pncounterAdd(_ key: [UInt8], _ delta: Int64) throws { signedCounters[key, default: 0] += delta }
    func pncounterValue(_ key: [UInt8]) throws -> Int64 { signedCounters[key] ?? 0 }
    func lwwSet(_ key: [UInt8], _ value: [UInt8]) throws { registers[key] = value }
    func lwwGet(_ key: [UInt8]) throws -> [UInt8]? { registers[key] }
    func lwwMapSet(_ key: [UInt8], field: [UInt8], value: [UInt8]) throws { maps[key, default: [:]][field] = value }
    func lwwMapRemove(_ key: [UInt8], field: [UInt8]) throws { maps[key]?[field] = nil }
    func lwwMapGet(_ key: [UInt8], field: [UInt8]) throws -> [UInt8]? { maps[key]?[field] }
    func lwwMapEntries(_ key: [UInt8]) throws -> [(field: [UInt8], value: [UInt8])] {
        (maps[key] ?? [:]).sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { ($0.key, $0.value) }
    }
    func orsetAdd(_ key: [UInt8], _ element: [UInt8]) throws { if !(sets[key] ?? []).contains(element) { sets[key, default: []].append(element) } }
    func orsetRemove(_ key: [UInt8], _ element: [UInt8]) throws { sets[key]?.removeAll { $0 == element } }
    func orsetContains(_ key: [UInt8], _ element: [UInt8]) throws -> Bool { (sets[key] ?? []).contains(element) }
    func orsetElements(_ key: [UInt8]) throws -> [[UInt8]] { (sets[key] ?? []).sorted { $0.lexicographicallyPrecedes($1) } }
    func rgaInsert(_ key: [UInt8], after parent: [UInt8]?, value: [UInt8]) throws -> [UInt8] {
        let id = Array("id\(lists[key]?.count ?? 0)".utf8)
        var list = lists[key] ?? []
        if let parent {
            guard let index = list.firstIndex(where: { $0.id == parent }) else { throw ReplicationLookupError.notFound }
            list.insert((id, value), at: index + 1)
        } else {
            list.insert((id, value), at: 0)
        }
        lists[key] = list
        return id
    }
    func rgaDelete(_ key: [UInt8], id: [UInt8]) throws {
        guard lists[key]?.contains(where: { $0.id == id }) == true else { throw ReplicationLookupError.notFound }
        lists[key]?.removeAll { $0.id == id }
    }
    func rgaValues(_ key: [UInt8]) throws -> [[UInt8]] { (lists[key] ?? []).map(\.value) }
    func rgaEntries(_ key: [UInt8]) throws -> [(id: [UInt8], value: [UInt8])] { lists[key] ?? [] }
    var nodeID: [UInt8] { Array("node-a".utf8) }
    func peers() -> [(address: String, nodeID: [UInt8])] { [("127.0.0.1:7001", Array("node-b".utf8))] }
}

final class CRDTFunctionTests: XCTestCase {
    func testCountersWriteLittleEndianValues() throws {
        let host = try HostHarness(replication: RecordingReplication())
        let key = try host.put("visits")
        let out = try host.buffer(8)
        XCTAssertEqual(try host.call("crdt_gcounter_inc", i32(key.0), i32(key.1), i64(300)), 0)
        XCTAssertEqual(try host.call("crdt_gcounter_value", i32(key.0), i32(key.1), i32(out.0), i32(out.1)), 8)
        XCTAssertEqual(try host.read(out.0, 8), [44, 1, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(try host.call("crdt_pncounter_inc", i32(key.0), i32(key.1), i64(300)), 0)
        XCTAssertEqual(try host.call("crdt_pncounter_dec", i32(key.0), i32(key.1), i64(301)), 0)
        XCTAssertEqual(try host.call("crdt_pncounter_value", i32(key.0), i32(key.1), i32(out.0), i32(out.1)), 8)
        XCTAssertEqual(try host.read(out.0, 8), [UInt8](repeating: 0xFF, count: 8), "-1 as a little-endian i64")
        XCTAssertEqual(try host.call("crdt_pncounter_dec", i32(key.0), i32(key.1), i64(UInt64.max)), NXCode.internal.rawValue)
        XCTAssertEqual(try host.call("crdt_gcounter_value", i32(key.0), i32(key.1), i32(out.0), i32(7)), NXCode.bufferTooSmall.rawValue)
    }

    func testMapSetAndListEncodings() throws {
        let replication = RecordingReplication()
        let host = try HostHarness(replication: replication)
        let key = try host.put("settings")
        for (field, value) in [("theme", "dark"), ("lang", "en")] {
            let f = try host.put(field), v = try host.put(value)
            XCTAssertEqual(try host.call("crdt_lww_map_set", i32(key.0), i32(key.1), i32(f.0), i32(f.1), i32(v.0), i32(v.1)), 0)
        }
        let out = try host.buffer(128)
        let written = try host.call("crdt_lww_map_entries", i32(key.0), i32(key.1), i32(out.0), i32(out.1))
        // u32 count, then u32 field_len, field, u32 value_len, value (fields in order).
        let expected: [UInt8] = [2, 0, 0, 0] + [4, 0, 0, 0] + Array("lang".utf8) + [2, 0, 0, 0] + Array("en".utf8)
            + [5, 0, 0, 0] + Array("theme".utf8) + [4, 0, 0, 0] + Array("dark".utf8)
        XCTAssertEqual(try host.read(out.0, Int(written)), expected)
        let theme = try host.put("theme"), missing = try host.put("nope")
        XCTAssertEqual(try host.call("crdt_lww_map_contains", i32(key.0), i32(key.1), i32(theme.0), i32(theme.1)), 1)
        XCTAssertEqual(try host.call("crdt_lww_map_get", i32(key.0), i32(key.1), i32(missing.0), i32(missing.1), i32(out.0), i32(out.1)),
                       NXCode.notFound.rawValue)
        let tags = try host.put("tags"), blue = try host.put("blue")
        XCTAssertEqual(try host.call("crdt_orset_add", i32(tags.0), i32(tags.1), i32(blue.0), i32(blue.1)), 0)
        let elements = try host.call("crdt_orset_elements", i32(tags.0), i32(tags.1), i32(out.0), i32(out.1))
        XCTAssertEqual(try host.read(out.0, Int(elements)), [1, 0, 0, 0, 4, 0, 0, 0] + Array("blue".utf8))
    }

    func testRGAInsertReturnsIdsAndUnknownParentsAreNotFound() throws {
        let host = try HostHarness(replication: RecordingReplication())
        let key = try host.put("comments")
        let first = try host.put("first"), reply = try host.put("reply")
        let id = try host.buffer(16)
        let length = try host.call("crdt_rga_insert", i32(key.0), i32(key.1), i32(0), i32(0), i32(first.0), i32(first.1), i32(id.0), i32(id.1))
        XCTAssertGreaterThan(length, 0)
        let parent = try host.put(try host.read(id.0, Int(length)))
        XCTAssertGreaterThan(try host.call("crdt_rga_insert", i32(key.0), i32(key.1), i32(parent.0), i32(parent.1),
                                           i32(reply.0), i32(reply.1), i32(id.0), i32(id.1)), 0)
        let out = try host.buffer(64)
        let written = try host.call("crdt_rga_values", i32(key.0), i32(key.1), i32(out.0), i32(out.1))
        XCTAssertEqual(try host.read(out.0, Int(written)), [2, 0, 0, 0, 5, 0, 0, 0] + Array("first".utf8) + [5, 0, 0, 0] + Array("reply".utf8))
        let unknown = try host.put("no-such-id")
        XCTAssertEqual(try host.call("crdt_rga_insert", i32(key.0), i32(key.1), i32(unknown.0), i32(unknown.1), i32(reply.0), i32(reply.1),
                                     i32(id.0), i32(id.1)), NXCode.notFound.rawValue)
        XCTAssertEqual(try host.call("crdt_rga_delete", i32(key.0), i32(key.1), i32(unknown.0), i32(unknown.1)), NXCode.notFound.rawValue)
        XCTAssertEqual(try host.call("crdt_rga_insert", i32(key.0), i32(key.1), i32(0), i32(0), i32(first.0), i32(first.1), i32(id.0), i32(8)),
                       NXCode.bufferTooSmall.rawValue, "the id buffer is checked before inserting")
    }

    func testRGAEntriesEncodeEachIdWithItsValueInSequenceOrder() throws {
        let host = try HostHarness(replication: RecordingReplication())
        let key = try host.put("comments")
        let out = try host.buffer(128)
        XCTAssertEqual(try host.call("crdt_rga_entries", i32(key.0), i32(key.1), i32(out.0), i32(out.1)), 4)
        XCTAssertEqual(try host.read(out.0, 4), [0, 0, 0, 0], "an RGA nothing was inserted into: a zero count")

        let first = try host.put("first"), reply = try host.put("reply")
        let id = try host.buffer(16)
        let firstLength = try host.call("crdt_rga_insert", i32(key.0), i32(key.1), i32(0), i32(0), i32(first.0), i32(first.1), i32(id.0), i32(id.1))
        let firstID = try host.read(id.0, Int(firstLength))
        let parent = try host.put(firstID)
        let replyLength = try host.call("crdt_rga_insert", i32(key.0), i32(key.1), i32(parent.0), i32(parent.1),
                                        i32(reply.0), i32(reply.1), i32(id.0), i32(id.1))
        let replyID = try host.read(id.0, Int(replyLength))

        let written = try host.call("crdt_rga_entries", i32(key.0), i32(key.1), i32(out.0), i32(out.1))
        // u32 count, then per element u32 id_len, id, u32 value_len, value (the lww_map_entries shape).
        let expected: [UInt8] = [2, 0, 0, 0] + [3, 0, 0, 0] + Array("id0".utf8) + [5, 0, 0, 0] + Array("first".utf8)
            + [3, 0, 0, 0] + Array("id1".utf8) + [5, 0, 0, 0] + Array("reply".utf8)
        XCTAssertEqual(written, Int32(expected.count))
        XCTAssertEqual(try host.read(out.0, Int(written)), expected)
        let entries = try XCTUnwrap(decodePairs(expected))
        XCTAssertEqual(entries.map(\.0), [firstID, replyID], "the ids crdt_rga_insert returned")
        let values = try host.call("crdt_rga_values", i32(key.0), i32(key.1), i32(out.0), i32(out.1))
        XCTAssertEqual(entries.map(\.1), decodeItems(try host.read(out.0, Int(values))), "the values crdt_rga_values returns, in its order")

        let short = try host.buffer(expected.count - 1)
        XCTAssertEqual(try host.call("crdt_rga_entries", i32(key.0), i32(key.1), i32(short.0), i32(short.1)), NXCode.bufferTooSmall.rawValue)
        XCTAssertEqual(try host.read(short.0, expected.count - 1), [UInt8](repeating: 0xEE, count: expected.count - 1),
                       "a result that does not fit writes nothing")
        let exact = try host.buffer(expected.count)
        XCTAssertEqual(try host.call("crdt_rga_entries", i32(key.0), i32(key.1), i32(exact.0), i32(exact.1)), Int32(expected.count))
        XCTAssertEqual(try host.read(exact.0, expected.count), expected)

        let long = try host.put([UInt8](repeating: 0x61, count: NXLimits.maxKeyBytes + 1))
        XCTAssertEqual(try host.call("crdt_rga_entries", i32(long.0), i32(long.1), i32(out.0), i32(out.1)), NXCode.internal.rawValue)
    }

    func testNetIntrospection() throws {
        let host = try HostHarness(replication: RecordingReplication())
        let out = try host.buffer(64)
        let length = try host.call("net_node_id", i32(out.0), i32(out.1))
        XCTAssertEqual(try host.read(out.0, Int(length)), Array("node-a".utf8))
        let written = try host.call("net_peers", i32(out.0), i32(out.1))
        XCTAssertEqual(try host.read(out.0, Int(written)), [1, 0, 0, 0, 14, 0, 0, 0, 6, 0, 0, 0] + Array("127.0.0.1:7001".utf8) + Array("node-b".utf8))
        let capabilities = try host.call("host_capabilities", i32(out.0), i32(out.1))
        XCTAssertEqual(String(decoding: try host.read(out.0, Int(capabilities)), as: UTF8.self), "db\ntime\ncrypto\nsystem\nlog\ncrdt\nnet")
    }
}

/// The CRDT host functions against the real replication engine, persisted in the module's store.
final class EngineBackedCRDTTests: XCTestCase {
    func testHostFunctionsDriveTheEngineAndPersist() throws {
        let probe = try HostHarness()
        let engine = try ReplicationEngine(store: probe.store)
        probe.context.replication = engine
        let host = probe
        let key = try host.put("comments:doc-1")
        let first = try host.put("first"), second = try host.put("second"), reply = try host.put("reply")
        let id = try host.buffer(16)
        let firstLength = try host.call("crdt_rga_insert", i32(key.0), i32(key.1), i32(0), i32(0), i32(first.0), i32(first.1), i32(id.0), i32(id.1))
        XCTAssertEqual(firstLength, 16)
        let firstID = try host.put(try host.read(id.0, 16))
        _ = try host.call("crdt_rga_insert", i32(key.0), i32(key.1), i32(firstID.0), i32(firstID.1), i32(second.0), i32(second.1), i32(id.0), i32(id.1))
        _ = try host.call("crdt_rga_insert", i32(key.0), i32(key.1), i32(firstID.0), i32(firstID.1), i32(reply.0), i32(reply.1), i32(id.0), i32(id.1))
        XCTAssertEqual(try engine.rgaValues(Array("comments:doc-1".utf8)).map { String(decoding: $0, as: UTF8.self) },
                       ["first", "reply", "second"], "inserting after X lands right after X (newest first)")
        XCTAssertEqual(try host.call("crdt_rga_delete", i32(key.0), i32(key.1), i32(firstID.0), i32(firstID.1)), 0)
        XCTAssertEqual(try engine.rgaValues(Array("comments:doc-1".utf8)).map { String(decoding: $0, as: UTF8.self) },
                       ["reply", "second"], "a deleted element keeps its children visible")

        let tags = try host.put("tags:item-1"), blue = try host.put("blue")
        XCTAssertEqual(try host.call("crdt_orset_add", i32(tags.0), i32(tags.1), i32(blue.0), i32(blue.1)), 0)
        XCTAssertEqual(try host.call("crdt_orset_contains", i32(tags.0), i32(tags.1), i32(blue.0), i32(blue.1)), 1)
        XCTAssertEqual(try host.call("crdt_orset_remove", i32(tags.0), i32(tags.1), i32(blue.0), i32(blue.1)), 0)
        XCTAssertEqual(try host.call("crdt_orset_contains", i32(tags.0), i32(tags.1), i32(blue.0), i32(blue.1)), 0)

        let status = try host.put("status:user-1"), online = try host.put("online"), away = try host.put("away")
        _ = try host.call("crdt_lww_set", i32(status.0), i32(status.1), i32(online.0), i32(online.1))
        _ = try host.call("crdt_lww_set", i32(status.0), i32(status.1), i32(away.0), i32(away.1))
        let out = try host.buffer(16)
        XCTAssertEqual(try host.call("crdt_lww_get", i32(status.0), i32(status.1), i32(out.0), i32(out.1)), 4)
        XCTAssertEqual(try host.read(out.0, 4), Array("away".utf8), "a later local write wins even within one millisecond")

        let idLength = try host.call("net_node_id", i32(out.0), i32(16))
        XCTAssertEqual(idLength, NXCode.bufferTooSmall.rawValue, "the node id is 32 hex characters")
        let wide = try host.buffer(32)
        XCTAssertEqual(try host.call("net_node_id", i32(wide.0), i32(wide.1)), 32)
        XCTAssertEqual(try host.read(wide.0, 32), engine.nodeID)
        // The engine's state lives in the module's store, under the reserved namespace.
        let keys = try host.store.keys(prefix: Array("__nx/".utf8), limit: 1000)
        XCTAssertFalse(keys.isEmpty)
        XCTAssertEqual(try ReplicationEngine(store: host.store).rgaValues(Array("comments:doc-1".utf8)).count, 2, "state reloads from the store")
    }

    /// The gap `crdt_rga_entries` closes: a guest learns the ids of elements another node
    /// inserted, and can insert after them and delete them.
    func testEntriesNameElementsOtherNodesInsertedSoGuestsCanReplyToAndDeleteThem() throws {
        let alice = try HostHarness()
        let a = try ReplicationEngine(store: alice.store)
        alice.context.replication = a
        let bobStore = try HostHarness()
        let b = try ReplicationEngine(store: bobStore.store)
        a.setPeers([SyncPeer(id: b.localNode, address: "bob")])
        b.setPeers([SyncPeer(id: a.localNode, address: "alice")])
        func deliver(_ from: ReplicationEngine, to: ReplicationEngine) {
            for message in from.localOperationsOutbound() where message.to == to.localNode {
                _ = to.handle(message.payload, from: from.localNode, now: 0)
            }
        }
        let name = Array("comments:doc-1".utf8)
        let draft = try b.rgaInsert(name, after: nil, value: Array("bob: draft".utf8))
        _ = try b.rgaInsert(name, after: draft, value: Array("bob: reviewed".utf8))
        deliver(b, to: a)

        let host = alice
        let key = try host.put("comments:doc-1")
        let out = try host.buffer(256)
        var written = try host.call("crdt_rga_entries", i32(key.0), i32(key.1), i32(out.0), i32(out.1))
        var entries = try XCTUnwrap(decodePairs(try host.read(out.0, Int(written))))
        XCTAssertEqual(entries.map { String(decoding: $0.1, as: UTF8.self) }, ["bob: draft", "bob: reviewed"])
        XCTAssertEqual(entries.map(\.0), try a.rgaIDs(name), "the engine's ids, in sequence order")
        XCTAssertEqual(entries[0].0, draft, "the id bob's insert returned on bob's node")

        // Append after the last element, and delete the first, both by ids only entries gave.
        let last = try host.put(entries[1].0), first = try host.put(entries[0].0)
        let approved = try host.put("alice: approved")
        let id = try host.buffer(16)
        let length = try host.call("crdt_rga_insert", i32(key.0), i32(key.1), i32(last.0), i32(last.1),
                                   i32(approved.0), i32(approved.1), i32(id.0), i32(id.1))
        XCTAssertEqual(length, 16)
        let approvedID = try host.read(id.0, 16)
        XCTAssertEqual(try host.call("crdt_rga_delete", i32(key.0), i32(key.1), i32(first.0), i32(first.1)), 0)

        written = try host.call("crdt_rga_entries", i32(key.0), i32(key.1), i32(out.0), i32(out.1))
        entries = try XCTUnwrap(decodePairs(try host.read(out.0, Int(written))))
        XCTAssertEqual(entries.map { String(decoding: $0.1, as: UTF8.self) }, ["bob: reviewed", "alice: approved"])
        XCTAssertEqual(entries[1].0, approvedID, "the new element is listed under the id crdt_rga_insert returned")
        XCTAssertEqual(entries.map(\.1), try a.rgaValues(name))
        XCTAssertEqual(entries.map(\.0), try a.rgaIDs(name))
        let engineEntries = try a.rgaEntries(name)
        XCTAssertEqual(engineEntries.map(\.id), entries.map(\.0))
        XCTAssertEqual(engineEntries.map(\.value), entries.map(\.1))

        deliver(a, to: b)
        XCTAssertEqual(try b.rgaValues(name).map { String(decoding: $0, as: UTF8.self) }, ["bob: reviewed", "alice: approved"],
                       "bob's node applies the reply and the delete: the ids mean the same elements there")

        // Once every element is deleted, the thread reads as empty again.
        for entry in entries {
            let target = try host.put(entry.0)
            XCTAssertEqual(try host.call("crdt_rga_delete", i32(key.0), i32(key.1), i32(target.0), i32(target.1)), 0)
        }
        XCTAssertEqual(try host.call("crdt_rga_entries", i32(key.0), i32(key.1), i32(out.0), i32(out.1)), 4)
        XCTAssertEqual(try host.read(out.0, 4), [0, 0, 0, 0])
    }
}
