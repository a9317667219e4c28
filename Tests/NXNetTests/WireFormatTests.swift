import NXCrypto
import XCTest
@testable import NXNet

final class WireFormatTests: XCTestCase {
    let sender = NodeId(high: 0x0102_0304_0506_0708, low: 0x090A_0B0C_0D0E_0F10)
    let recipient = NodeId(high: 0xA0A1_A2A3_A4A5_A6A7, low: 0xA8A9_AAAB_ACAD_AEAF)

    private func open(_ codec: DatagramCodec, _ bytes: [UInt8], limit: Int = 8 << 20) -> Result<OpenedDatagram, DropReason> {
        bytes.withUnsafeBytes { codec.open($0, maximumMessageBytes: limit) }
    }

    private func reason(_ r: Result<OpenedDatagram, DropReason>) -> DropReason? {
        if case let .failure(reason) = r { return reason }
        return nil
    }

    /// Rewrites the tag so a deliberately malformed header is judged on its structure, not its tag.
    private func retag(_ codec: DatagramCodec, _ bytes: inout [UInt8]) {
        let key = codec.key?.authenticationKey ?? BLAKE3.deriveKey(context: ClusterKey.Context.openChecksum, material: [])
        let end = bytes.count - Wire.tagByteCount
        let tag = BLAKE3.keyedHash(key: key, Array(bytes[0..<end]))
        bytes.replaceSubrange(end..., with: tag[0..<Wire.tagByteCount])
    }

    func testHeaderLayoutIsTheDocumentedOne() {
        var header = DatagramHeader(kind: .ack, sender: sender, recipient: recipient, session: 0x1122_3344_5566_7788,
                                    counter: 0x99, timestamp: 0x0000_0190_0000_0001, messageId: 0xDEAD_BEEF,
                                    fragmentIndex: 3, fragmentCount: 9, totalLength: 0x0102_0304)
        header.flags = .keyed
        header.bodyLength = 0x0506
        let bytes = header.encoded()
        XCTAssertEqual(bytes.count, 80)
        XCTAssertEqual(Array(bytes[0..<4]), [0x4E, 0x58, 0x6E, 0x74])
        XCTAssertEqual(bytes[4], 1)
        XCTAssertEqual(bytes[5], MessageKind.ack.rawValue)
        XCTAssertEqual(bytes[6], 1)
        XCTAssertEqual(bytes[7], 0)
        XCTAssertEqual(Array(bytes[8..<24]), sender.bytes)
        XCTAssertEqual(Array(bytes[24..<40]), recipient.bytes)
        XCTAssertEqual(Array(bytes[40..<48]), [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        XCTAssertEqual(Array(bytes[48..<56]), [0x99, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(Array(bytes[56..<64]), [1, 0, 0, 0, 0x90, 0x01, 0, 0])
        XCTAssertEqual(Array(bytes[64..<68]), [0xEF, 0xBE, 0xAD, 0xDE])
        XCTAssertEqual(Array(bytes[68..<72]), [3, 0, 9, 0])
        XCTAssertEqual(Array(bytes[72..<76]), [4, 3, 2, 1])
        XCTAssertEqual(Array(bytes[76..<80]), [6, 5, 0, 0])
    }

    func testRoundTripPlainKeyedAndEncrypted() {
        let payload = pseudoRandomBytes(1000, seed: 1)
        for (key, encrypt) in [(nil, false), (testKey, false), (testKey, true)] as [(ClusterKey?, Bool)] {
            let codec = DatagramCodec(key: key, encrypt: encrypt)
            let header = DatagramHeader(kind: .data, sender: sender, recipient: recipient, session: 5, counter: 77,
                                        timestamp: 123_456, messageId: 3, totalLength: UInt32(payload.count))
            let datagram = codec.seal(header, body: payload)
            XCTAssertEqual(datagram.count, 80 + payload.count + (encrypt ? 16 : 0) + 16)
            guard case let .success(opened) = open(codec, datagram) else { return XCTFail("rejected: \(String(describing: reason(open(codec, datagram))))") }
            XCTAssertEqual(opened.body, payload)
            XCTAssertEqual(opened.header.sender, sender)
            XCTAssertEqual(opened.header.recipient, recipient)
            XCTAssertEqual(opened.header.session, 5)
            XCTAssertEqual(opened.header.counter, 77)
            XCTAssertEqual(opened.header.timestamp, 123_456)
            XCTAssertEqual(opened.header.messageId, 3)
            XCTAssertEqual(opened.header.kind, .data)
            XCTAssertEqual(opened.header.flags.contains(.keyed), key != nil)
            XCTAssertEqual(opened.header.flags.contains(.encrypted), encrypt)
        }
    }

    func testEmptyBodyRoundTrips() {
        let codec = DatagramCodec(key: testKey, encrypt: true)
        let datagram = codec.seal(makeHeader(sender: sender, recipient: recipient, total: 0), body: [])
        guard case let .success(opened) = open(codec, datagram) else { return XCTFail() }
        XCTAssertEqual(opened.body, [])
    }

    func testTruncationAtEveryOffsetIsRejected() {
        for (key, encrypt) in [(nil, false), (testKey, true)] as [(ClusterKey?, Bool)] {
            let codec = DatagramCodec(key: key, encrypt: encrypt)
            let datagram = codec.seal(makeHeader(sender: sender, recipient: recipient, total: 300), body: pseudoRandomBytes(300, seed: 2))
            for length in 0..<datagram.count {
                let r = reason(open(codec, Array(datagram[0..<length])))
                XCTAssertEqual(r, .truncated, "prefix of \(length) bytes")
            }
        }
    }

    func testTrailingBytesAreRejected() {
        let codec = DatagramCodec(key: testKey, encrypt: false)
        let datagram = codec.seal(makeHeader(sender: sender, recipient: recipient, total: 10), body: Array(repeating: 1, count: 10))
        XCTAssertEqual(reason(open(codec, datagram + [0])), .malformedHeader)
        XCTAssertEqual(reason(open(codec, datagram + Array(repeating: 0, count: 40))), .malformedHeader)
    }

    func testWrongMagicVersionAndKind() {
        let codec = DatagramCodec(key: testKey, encrypt: false)
        let datagram = codec.seal(makeHeader(sender: sender, recipient: recipient, total: 4), body: [1, 2, 3, 4])
        for i in 0..<4 {
            var bad = datagram
            bad[i] ^= 0x20
            XCTAssertEqual(reason(open(codec, bad)), .badMagic)
        }
        for version: UInt8 in [0, 2, 255] {
            var bad = datagram
            bad[4] = version
            retag(codec, &bad)
            XCTAssertEqual(reason(open(codec, bad)), .unsupportedVersion)
        }
        for kind: UInt8 in [0, 8, 99, 255] {
            var bad = datagram
            bad[5] = kind
            retag(codec, &bad)
            XCTAssertEqual(reason(open(codec, bad)), .unknownKind)
        }
    }

    func testReservedFieldsFlagsAndZeroSenderAreRejected() {
        let codec = DatagramCodec(key: testKey, encrypt: false)
        let datagram = codec.seal(makeHeader(sender: sender, recipient: recipient, total: 4), body: [1, 2, 3, 4])
        let mutations: [(String, (inout [UInt8]) -> Void)] = [
            ("reserved byte 7", { $0[7] = 1 }),
            ("reserved bytes 78-79", { $0[79] = 0x80 }),
            ("unknown flag", { $0[6] |= 0x04 }),
            ("encrypted without keyed", { $0[6] = 0x02 }),
            ("zero sender", { for i in 8..<24 { $0[i] = 0 } }),
        ]
        for (name, mutate) in mutations {
            var bad = datagram
            mutate(&bad)
            retag(codec, &bad)
            XCTAssertEqual(reason(open(codec, bad)), .malformedHeader, name)
        }
    }

    func testBadLengthFieldsAreRejected() {
        let codec = DatagramCodec(key: nil, encrypt: false)
        let body = pseudoRandomBytes(100, seed: 3)
        let datagram = codec.seal(makeHeader(sender: sender, recipient: recipient, total: 100), body: body)
        func withField(_ offset: Int, _ bytes: [UInt8]) -> [UInt8] {
            var d = datagram
            d.replaceSubrange(offset..<offset + bytes.count, with: bytes)
            retag(codec, &d)
            return d
        }
        // bodyLength larger than the datagram: truncated; smaller: trailing bytes.
        XCTAssertEqual(reason(open(codec, withField(76, [101, 0]))), .truncated)
        XCTAssertEqual(reason(open(codec, withField(76, [99, 0]))), .malformedHeader)
        // totalLength disagreeing with a single fragment's body.
        XCTAssertEqual(reason(open(codec, withField(72, [101, 0, 0, 0]))), .malformedHeader)
        XCTAssertEqual(reason(open(codec, withField(72, [50, 0, 0, 0]))), .malformedHeader)
        // fragment count 0, index beyond count.
        XCTAssertEqual(reason(open(codec, withField(70, [0, 0]))), .malformedHeader)
        XCTAssertEqual(reason(open(codec, withField(68, [1, 0]))), .malformedHeader)
        // A fragmented ping (only data and sync may be fragmented).
        var ping = makeHeader(kind: .ping, sender: sender, recipient: recipient, total: 200)
        ping.fragmentCount = 2
        XCTAssertEqual(reason(open(codec, codec.seal(ping, body: body))), .malformedHeader)
        // Total length above the receiver's limit.
        var big = makeHeader(sender: sender, recipient: recipient, total: 100 * 1000)
        big.fragmentCount = 1000
        XCTAssertEqual(reason(open(codec, codec.seal(big, body: body), limit: 50_000)), .messageTooLarge)
        // Inconsistent layout: 10 bytes in 6 fragments would need empty fragments.
        var odd = makeHeader(sender: sender, recipient: recipient, total: 10)
        odd.fragmentCount = 6
        XCTAssertEqual(reason(open(codec, codec.seal(odd, body: [1, 2]))), .malformedHeader)
    }

    func testOversizedDatagramsAreRejected() {
        let codec = DatagramCodec(key: nil, encrypt: false)
        let huge = Wire.magic + Array(repeating: 0, count: Wire.maximumDatagramByteCount)
        XCTAssertEqual(reason(open(codec, huge)), .oversized)
    }

    func testFragmentLayout() {
        for total in [0, 1, 1199, 1200, 1201, 5000, 1 << 20, (4 << 20) + 17] {
            let plan = FragmentLayout.plan(total: total, maximumChunk: 1200)
            XCTAssertTrue(FragmentLayout.isConsistent(total: total, count: plan.count), "total \(total)")
            var covered = 0
            for i in 0..<plan.count {
                let r = FragmentLayout.range(total: total, count: plan.count, index: i)
                XCTAssertEqual(r.lowerBound, covered)
                XCTAssertLessThanOrEqual(r.count, 1200)
                XCTAssertTrue(r.count > 0 || total == 0)
                covered = r.upperBound
            }
            XCTAssertEqual(covered, total)
        }
    }

    func testControlMessagesRoundTripAndRejectMalformedBodies() {
        let a = SocketAddress(ipv4: 127, 0, 0, 1, port: 7001)
        let b = SocketAddress(ipv6: Array(repeating: 0, count: 15) + [1], port: 9)!
        let gossip = [GossipEntry(id: sender, incarnation: 5, state: .suspect, address: a),
                      GossipEntry(id: recipient, incarnation: 1 << 40, state: .dead, address: b)]
        let messages: [ControlMessage] = [
            .ping(incarnation: 1, seq: 2, gossip: gossip),
            .ack(incarnation: 3, seq: 4, gossip: []),
            .pingRequest(incarnation: 5, seq: 6, target: recipient, targetAddress: b, gossip: gossip),
            .sync(incarnation: 7, replyWanted: true, entries: gossip),
            .leave(incarnation: 9),
            .nack(session: 10, messageId: 11, missing: [0..<3, 7..<8]),
        ]
        for m in messages {
            let body = m.encoded()
            XCTAssertEqual(ControlMessage.decode(kind: m.kind, body: body), m)
            for length in 0..<body.count {
                XCTAssertNil(ControlMessage.decode(kind: m.kind, body: Array(body[0..<length])), "\(m.kind) truncated to \(length)")
            }
            XCTAssertNil(ControlMessage.decode(kind: m.kind, body: body + [0]), "\(m.kind) with a trailing byte")
        }
        // A bad state byte, a bad address family, a zero NodeId in an entry.
        var bad = ControlMessage.ping(incarnation: 1, seq: 2, gossip: [gossip[0]]).encoded()
        bad[13 + 24] = 9
        XCTAssertNil(ControlMessage.decode(kind: .ping, body: bad))
        bad = ControlMessage.ping(incarnation: 1, seq: 2, gossip: [gossip[0]]).encoded()
        bad[13 + 25] = 5
        XCTAssertNil(ControlMessage.decode(kind: .ping, body: bad))
        bad = ControlMessage.ping(incarnation: 1, seq: 2, gossip: [gossip[0]]).encoded()
        for i in 13..<29 { bad[i] = 0 }
        XCTAssertNil(ControlMessage.decode(kind: .ping, body: bad))
    }

    func testAddressParsing() throws {
        XCTAssertEqual(try SocketAddress("127.0.0.1:7001").description, "127.0.0.1:7001")
        XCTAssertEqual(try SocketAddress("[::1]:7001").description, "[::1]:7001")
        XCTAssertEqual(try SocketAddress("0.0.0.0:0").isWildcard, true)
        XCTAssertEqual(try SocketAddress("[::]:0").family, .ipv6)
        XCTAssertEqual(try SocketAddress("[2001:db8::ff00:42:8329]:65535").description, "[2001:db8::ff00:42:8329]:65535")
        for bad in ["127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1", "::1:7001", "[::1]7001", "[::1:7001",
                    ":7001", "localhost:7001", "1.2.3.4.5:1", "127.0.0.1:7x"] {
            XCTAssertThrowsError(try SocketAddress(bad), bad) { error in
                XCTAssertTrue(error is AddressError, "\(bad): \(error)")
                XCTAssertTrue("\(error)".contains(bad), "the error names the text: \(error)")
            }
        }
        let localhost = try SocketAddress.resolve("localhost:7001", preferring: .ipv4)
        XCTAssertFalse(localhost.isEmpty)
        XCTAssertTrue(localhost.allSatisfy { $0.isLoopback && $0.port == 7001 }, "\(localhost)")
        XCTAssertEqual(localhost.first?.family, .ipv4)
        XCTAssertThrowsError(try SocketAddress.resolve("no-such-host.invalid:1"))
        let mapped = SocketAddress(ipv4: 10, 1, 2, 3, port: 5).mappedToIPv6
        XCTAssertEqual(mapped.description, "[::ffff:10.1.2.3]:5")
        XCTAssertEqual(mapped.unmapped, SocketAddress(ipv4: 10, 1, 2, 3, port: 5))
    }

    func testNodeIdForms() {
        let id = NodeId.random()
        XCTAssertEqual(NodeId(bytes: id.bytes), id)
        XCTAssertEqual(NodeId(hex: id.description), id)
        XCTAssertNil(NodeId(bytes: [1, 2, 3]))
        XCTAssertNil(NodeId(hex: "xyz"))
        XCTAssertEqual(sender.description, "0102030405060708090a0b0c0d0e0f10")
    }
}
