/// The state of a member as seen by this node.
public enum MemberState: UInt8, Sendable, CustomStringConvertible {
    /// Answering probes.
    case alive = 0
    /// Missed a probe (direct and indirect); declared dead unless it refutes in time.
    case suspect = 1
    /// Declared failed.
    case dead = 2
    /// Left gracefully.
    case left = 3

    /// Alive or suspect: still a member (SWIM keeps suspects in the group).
    public var isLive: Bool { self == .alive || self == .suspect }

    public var description: String {
        switch self {
        case .alive: return "alive"
        case .suspect: return "suspect"
        case .dead: return "dead"
        case .left: return "left"
        }
    }
}

/// One membership fact spread by gossip: "node `id` at incarnation `incarnation` is `state`,
/// reachable at `address`".
///
/// Wire form: NodeId (16) ‖ incarnation u64 ‖ state u8 ‖ family u8 (4|6) ‖ port u16 ‖ 4|16 bytes.
struct GossipEntry: Equatable {
    var id: NodeId
    var incarnation: UInt64
    var state: MemberState
    var address: SocketAddress

    var encodedSize: Int { 16 + 8 + 1 + 3 + (address.family == .ipv4 ? 4 : 16) }

    func encode(into w: inout ByteWriter) {
        w.nodeId(id)
        w.u64(incarnation)
        w.u8(state.rawValue)
        w.address(address)
    }

    static func decode(_ r: inout ByteReader) -> GossipEntry? {
        guard let id = r.nodeId(), id != .zero, let incarnation = r.u64(), let stateByte = r.u8(),
              let state = MemberState(rawValue: stateByte), let address = r.address() else { return nil }
        return GossipEntry(id: id, incarnation: incarnation, state: state, address: address)
    }
}

/// Bodies of the membership and repair messages (all but `.data`). Every membership message
/// starts with the sender's current incarnation: receiving it is direct evidence that the
/// sender is alive at that incarnation, at the datagram's source address.
///
/// ```
/// ping         u64 incarnation, u32 seq, u8 n, n × entry
/// ack          u64 incarnation, u32 seq, u8 n, n × entry
/// pingRequest  u64 incarnation, u32 seq, target NodeId, target address, u8 n, n × entry
/// sync         u64 incarnation, u8 flags (bit 0: reply wanted), u16 n, n × entry
/// leave        u64 incarnation
/// nack         u64 session, u32 message id, u16 n, n × (u16 first fragment, u16 count)
/// ```
/// Trailing bytes are an error (a body parses exactly or not at all).
enum ControlMessage: Equatable {
    case ping(incarnation: UInt64, seq: UInt32, gossip: [GossipEntry])
    case ack(incarnation: UInt64, seq: UInt32, gossip: [GossipEntry])
    case pingRequest(incarnation: UInt64, seq: UInt32, target: NodeId, targetAddress: SocketAddress, gossip: [GossipEntry])
    case sync(incarnation: UInt64, replyWanted: Bool, entries: [GossipEntry])
    case leave(incarnation: UInt64)
    case nack(session: UInt64, messageId: UInt32, missing: [Range<Int>])

    /// Bytes of a ping request before its gossip (the largest fixed part of a piggybacking message).
    static let largestFixedPart = 8 + 4 + 16 + 19 + 1
    /// Most gossip entries piggybacked on one message (the count is a byte).
    static let maximumPiggybackEntries = 255
    /// Most ranges in one nack (fits one datagram).
    static let maximumNackRanges = 256

    var kind: MessageKind {
        switch self {
        case .ping: return .ping
        case .ack: return .ack
        case .pingRequest: return .pingRequest
        case .sync: return .sync
        case .leave: return .leave
        case .nack: return .nack
        }
    }

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 256)
        switch self {
        case let .ping(incarnation, seq, gossip), let .ack(incarnation, seq, gossip):
            w.u64(incarnation)
            w.u32(seq)
            ControlMessage.write(gossip, countBytes: 1, into: &w)
        case let .pingRequest(incarnation, seq, target, targetAddress, gossip):
            w.u64(incarnation)
            w.u32(seq)
            w.nodeId(target)
            w.address(targetAddress)
            ControlMessage.write(gossip, countBytes: 1, into: &w)
        case let .sync(incarnation, replyWanted, entries):
            w.u64(incarnation)
            w.u8(replyWanted ? 1 : 0)
            ControlMessage.write(entries, countBytes: 2, into: &w)
        case let .leave(incarnation):
            w.u64(incarnation)
        case let .nack(session, messageId, missing):
            w.u64(session)
            w.u32(messageId)
            w.u16(UInt16(missing.count))
            for range in missing {
                w.u16(UInt16(range.lowerBound))
                w.u16(UInt16(range.count))
            }
        }
        return w.output
    }

    private static func write(_ entries: [GossipEntry], countBytes: Int, into w: inout ByteWriter) {
        if countBytes == 1 { w.u8(UInt8(entries.count)) } else { w.u16(UInt16(entries.count)) }
        for e in entries { e.encode(into: &w) }
    }

    /// Parses the body of a non-data message; nil when it is malformed in any way.
    static func decode(kind: MessageKind, body: [UInt8]) -> ControlMessage? {
        body.withUnsafeBytes { buffer -> ControlMessage? in
            var r = ByteReader(buffer)
            let message: ControlMessage?
            switch kind {
            case .data:
                return nil
            case .ping, .ack:
                guard let inc = r.u64(), let seq = r.u32(), let n = r.u8(), let gossip = entries(Int(n), &r) else { return nil }
                message = kind == .ping ? .ping(incarnation: inc, seq: seq, gossip: gossip) : .ack(incarnation: inc, seq: seq, gossip: gossip)
            case .pingRequest:
                guard let inc = r.u64(), let seq = r.u32(), let target = r.nodeId(), target != .zero,
                      let address = r.address(), let n = r.u8(), let gossip = entries(Int(n), &r) else { return nil }
                message = .pingRequest(incarnation: inc, seq: seq, target: target, targetAddress: address, gossip: gossip)
            case .sync:
                guard let inc = r.u64(), let flags = r.u8(), flags <= 1, let n = r.u16(), let list = entries(Int(n), &r) else { return nil }
                message = .sync(incarnation: inc, replyWanted: flags == 1, entries: list)
            case .leave:
                guard let inc = r.u64() else { return nil }
                message = .leave(incarnation: inc)
            case .nack:
                guard let session = r.u64(), let messageId = r.u32(), let n = r.u16(), Int(n) <= maximumNackRanges else { return nil }
                var ranges: [Range<Int>] = []
                for _ in 0..<n {
                    guard let first = r.u16(), let count = r.u16(), count > 0,
                          Int(first) + Int(count) <= Wire.maximumFragmentCount else { return nil }
                    ranges.append(Int(first)..<Int(first) + Int(count))
                }
                message = .nack(session: session, messageId: messageId, missing: ranges)
            }
            return r.remaining == 0 ? message : nil
        }
    }

    private static func entries(_ n: Int, _ r: inout ByteReader) -> [GossipEntry]? {
        var list: [GossipEntry] = []
        list.reserveCapacity(n)
        for _ in 0..<n {
            guard let e = GossipEntry.decode(&r) else { return nil }
            list.append(e)
        }
        return list
    }
}
