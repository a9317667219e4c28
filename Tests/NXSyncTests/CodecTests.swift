import XCTest
@testable import NXSync

final class CodecTests: XCTestCase {
    func testVarintsRoundTripAndRejectBadEncodings() throws {
        for v: UInt64 in [0, 1, 127, 128, 255, 300, 1 << 32, .max - 1, .max] {
            var w = ByteWriter()
            w.varint(v)
            XCTAssertEqual(w.count, ByteWriter.varintSize(v))
            var r = ByteReader(w.bytes)
            XCTAssertEqual(try r.varint("v"), v)
            XCTAssertTrue(r.isAtEnd)
        }
        var r1 = ByteReader([0x80, 0x00])
        XCTAssertThrowsError(try r1.varint("v")) { XCTAssertEqual($0 as? DecodeError, .invalid(what: "v", offset: 0, reason: "non-minimal varint")) }
        var r2 = ByteReader([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])
        XCTAssertThrowsError(try r2.varint("v")) { XCTAssertEqual($0 as? DecodeError, .invalid(what: "v", offset: 0, reason: "varint overflows 64 bits")) }
        var r3 = ByteReader([0x80])
        XCTAssertThrowsError(try r3.varint("v")) { XCTAssertEqual($0 as? DecodeError, .truncated(what: "v", offset: 0)) }
        // A count larger than the input can hold is refused before allocating.
        var r4 = ByteReader([0xff, 0xff, 0x03, 1, 2])
        XCTAssertThrowsError(try r4.length("count", limit: 1 << 30, elementSize: 4))
    }

    func testNodeIdHexAndBytes() throws {
        let id = NodeId(high: 0x0123_4567_89ab_cdef, low: 0xfedc_ba98_7654_3210)
        XCTAssertEqual(id.hex, "0123456789abcdeffedcba9876543210")
        XCTAssertEqual(id.hexBytes, Array(id.hex.utf8))
        XCTAssertEqual(NodeId(hex: id.hex), id)
        XCTAssertEqual(NodeId(hex: id.hex.uppercased()), id)
        XCTAssertNil(NodeId(hex: "0123"))
        XCTAssertNil(NodeId(hex: String(repeating: "g", count: 32)))
        XCTAssertEqual(NodeId(bytes: id.bytes), id)
        XCTAssertNil(NodeId(bytes: [1, 2, 3]))
        XCTAssertTrue(NodeId(high: 1, low: 0) > NodeId(high: 0, low: .max), "ordered by bytes")
        let r1 = try NodeId.random(), r2 = try NodeId.random()
        XCTAssertNotEqual(r1, r2)
        XCTAssertNotEqual(r1, .zero)
    }

    static func sampleOperations() -> [SyncOperation] {
        let id = OpId(origin: node(3), seq: 300)
        let key = bytes("key:1")
        return [
            SyncOperation(id: id, key: key, body: .gcounter(total: 99)),
            SyncOperation(id: id, key: key, body: .pncounter(positive: 1, negative: .max)),
            SyncOperation(id: id, key: [], body: .lwwSet(timestamp: 1_700_000_000_123, value: Array(repeating: 7, count: 1000))),
            SyncOperation(id: id, key: key, body: .lwwMapSet(field: bytes("theme"), timestamp: 5, value: bytes("dark"))),
            SyncOperation(id: id, key: key, body: .lwwMapRemove(field: [], timestamp: .max)),
            SyncOperation(id: id, key: key, body: .orsetAdd(element: bytes("blue"))),
            SyncOperation(id: id, key: key, body: .orsetRemove(element: bytes("blue"), observed: [OpId(origin: node(1), seq: 1), OpId(origin: node(2), seq: 9)])),
            SyncOperation(id: id, key: key, body: .rgaInsert(parent: nil, lamport: 1, value: bytes("first"))),
            SyncOperation(id: id, key: key, body: .rgaInsert(parent: OpId(origin: node(1), seq: 4), lamport: 77, value: [])),
            SyncOperation(id: id, key: key, body: .rgaDelete(target: OpId(origin: node(1), seq: 4))),
        ]
    }

    func testOperationsRoundTripAndTruncationsThrow() throws {
        for op in Self.sampleOperations() {
            let e = op.encode()
            XCTAssertEqual(e[0], 1, "version byte")
            XCTAssertEqual(try SyncOperation(decoding: e), op)
            for cut in 0..<e.count {
                XCTAssertThrowsError(try SyncOperation(decoding: Array(e[..<cut])), "\(op.body) cut at \(cut)")
            }
            XCTAssertThrowsError(try SyncOperation(decoding: e + [0]), "trailing byte")
        }
        var bad = Self.sampleOperations()[0].encode()
        bad[1] = 42
        XCTAssertThrowsError(try SyncOperation(decoding: bad))
        bad[0] = 9
        XCTAssertThrowsError(try SyncOperation(decoding: bad)) { XCTAssertEqual($0 as? DecodeError, .unsupportedVersion(what: "operation", version: 9)) }
    }

    func testOversizedFieldsAreRejected() {
        let op = SyncOperation(id: OpId(origin: node(1), seq: 1), key: Array(repeating: 1, count: SyncLimits.maxKeyBytes + 1),
                           body: .gcounter(total: 1))
        XCTAssertThrowsError(try SyncOperation(decoding: op.encode())) { error in
            XCTAssertEqual(error as? DecodeError, .tooLarge(what: "operation key", size: 1025, limit: 1024))
        }
    }

    func testMessagesRoundTrip() throws {
        var chunk = StateChunk(session: 0xdead_beef, cursor: bytes("rga/\u{0}\u{1}k"))
        chunk.done = true
        chunk.versionVector = [(node(1), 5), (node(2), 1)]
        chunk.records = [(bytes("gcounter/\u{0}\u{1}a"), [1, 0])]
        chunk.recordBytes = 14
        let messages: [Message] = [
            .ops(hops: 2, ops: Self.sampleOperations()),
            .ops(hops: 0, ops: []),
            .digest(wantsReply: true, complete: false, entries: [DigestEntry(origin: node(1), applied: 10, floor: 3)]),
            .digest(wantsReply: false, complete: true, entries: []),
            .stateRequest(session: 7, cursor: []),
            .stateChunk(chunk),
        ]
        for m in messages {
            let e = m.encode()
            XCTAssertEqual(e[0], Message.version)
            XCTAssertEqual(e[1], m.kind.rawValue)
            XCTAssertEqual(try Message(decoding: e), m)
            for cut in 0..<e.count { XCTAssertThrowsError(try Message(decoding: Array(e[..<cut]))) }
        }
        XCTAssertThrowsError(try Message(decoding: Array(repeating: 0, count: SyncLimits.maxMessageBytes + 1)))
        XCTAssertThrowsError(try Message(decoding: [1, 0]), "unknown kind")
        // A digest entry claiming a floor above its applied sequence is invalid.
        let bad = Message.digest(wantsReply: true, complete: true, entries: [DigestEntry(origin: node(1), applied: 1, floor: 2)]).encode()
        XCTAssertThrowsError(try Message(decoding: bad))
    }

    func testOpsMessagesArePackedToTheTargetSize() throws {
        var packer = OpsPacker(target: 1100, hops: 0)
        let small = SyncOperation(id: OpId(origin: node(1), seq: 1), key: bytes("k"), body: .lwwSet(timestamp: 1, value: Array(repeating: 1, count: 100)))
        for _ in 0..<30 { packer.add(small.encode()) }
        let big = SyncOperation(id: OpId(origin: node(1), seq: 2), key: bytes("k"), body: .lwwSet(timestamp: 1, value: Array(repeating: 1, count: 5000)))
        packer.add(big.encode())
        let messages = packer.finish()
        XCTAssertGreaterThan(messages.count, 3)
        var total = 0
        for m in messages.dropLast() { XCTAssertLessThanOrEqual(m.count, 1100) }
        XCTAssertGreaterThan(messages.last!.count, 5000, "the large operation travels alone")
        for m in messages {
            guard case let .ops(_, ops) = try Message(decoding: m) else { return XCTFail("not an ops message") }
            total += ops.count
        }
        XCTAssertEqual(total, 31)
    }

    func testRandomBytesNeverCrashTheDecoders() {
        var rng = SeededRandom(seed: 42)
        var valid = Self.sampleOperations().map { Message.ops(hops: 0, ops: [$0]).encode() }
        valid.append(Message.digest(wantsReply: true, complete: true, entries: [DigestEntry(origin: node(1), applied: 10, floor: 3)]).encode())
        var decodedSome = 0
        for i in 0..<20_000 {
            var input: [UInt8]
            if i % 2 == 0 {
                input = (0..<rng.below(64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                if rng.chance(0.5) && !input.isEmpty { input[0] = 1 }
            } else {
                input = valid[rng.below(valid.count)]
                for _ in 0..<(1 + rng.below(4)) { input[rng.below(input.count)] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            if (try? Message(decoding: input)) != nil { decodedSome += 1 }
            _ = try? SyncOperation(decoding: input)
            _ = try? GCounter(decoding: input)
            _ = try? ORSet(decoding: input)
            _ = try? RGA(decoding: input)
            _ = try? LWWMap(decoding: input)
        }
        XCTAssertGreaterThan(decodedSome, 0, "some mutations stay valid (the fuzzer reaches deep code)")
    }
}
