/// Constants of the NXNet datagram format (version 1). All integers are little-endian.
///
/// ```
/// offset size field
///  0      4   magic "NXnt" (4E 58 6E 74)
///  4      1   protocol version (1)
///  5      1   message kind (MessageKind)
///  6      1   flags: bit 0 keyed (tag uses the cluster key), bit 1 encrypted; others 0
///  7      1   reserved, 0
///  8     16   sender NodeId
/// 24     16   recipient NodeId (all zero only for a join ping sent to a seed address)
/// 40      8   sender session id (random per transport start)
/// 48      8   per-session datagram counter (strictly increasing, never reused)
/// 56      8   timestamp, sender's wall clock, milliseconds since the Unix epoch
/// 64      4   message id (per session; identifies the fragments of one message)
/// 68      2   fragment index
/// 70      2   fragment count (1 = unfragmented)
/// 72      4   total message length (plaintext bytes, all fragments)
/// 76      2   body length (bytes after the header; includes the 16-byte Poly1305 tag if encrypted)
/// 78      2   reserved, 0
/// 80      n   body (plaintext, or ChaCha20-Poly1305 ciphertext ‖ tag with the header as AAD)
/// 80+n   16   tag: keyed BLAKE3 of bytes 0..<80+n, truncated to 16 bytes
/// ```
///
/// Fragments of a message split it into equal chunks of `ceil(total / count)` bytes (the last
/// one shorter), so every fragment's length and offset follow from the header alone.
public enum Wire {
    /// "NXnt".
    public static let magic: [UInt8] = [0x4E, 0x58, 0x6E, 0x74]
    /// The protocol version this implementation speaks.
    public static let version: UInt8 = 1
    /// Fixed header length.
    public static let headerByteCount = 80
    /// Length of the keyed-BLAKE3 tag that ends every datagram.
    public static let tagByteCount = 16
    /// Length of the Poly1305 tag inside an encrypted body.
    public static let aeadTagByteCount = 16
    /// Largest plaintext chunk one datagram may carry (the sender's configured chunk is at most this).
    public static let maximumChunkByteCount = 1400
    /// Largest datagram accepted; anything bigger is dropped as oversized.
    public static let maximumDatagramByteCount = headerByteCount + maximumChunkByteCount + aeadTagByteCount + tagByteCount
    /// Largest fragment count (the field is 16 bits).
    public static let maximumFragmentCount = Int(UInt16.max)
}

/// What a datagram carries.
public enum MessageKind: UInt8, CaseIterable, Sendable {
    /// An application payload (possibly fragmented), delivered to `onMessage`.
    case data = 1
    /// SWIM probe (direct, or to a seed address with a zero recipient when joining).
    case ping = 2
    /// Answer to a ping (or relayed answer of an indirect probe).
    case ack = 3
    /// Request to probe a target on the sender's behalf (SWIM indirect ping).
    case pingRequest = 4
    /// Full membership list (push, or push-pull when the reply flag is set); may be fragmented.
    case sync = 5
    /// Graceful departure of the sender.
    case leave = 6
    /// Negative acknowledgement: fragments of an incomplete message to send again.
    case nack = 7

    /// Kinds whose messages may span several datagrams.
    var mayBeFragmented: Bool { self == .data || self == .sync }
}

/// Header flag bits.
public struct DatagramFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// The tag was computed with the cluster's authentication key (clear: open cluster checksum).
    public static let keyed = DatagramFlags(rawValue: 1)
    /// The body is ChaCha20-Poly1305 ciphertext.
    public static let encrypted = DatagramFlags(rawValue: 2)
    static let known: DatagramFlags = [.keyed, .encrypted]
}

/// The fixed header of a datagram. `flags` and `bodyLength` are filled in by
/// ``DatagramCodec/seal(_:body:)``.
public struct DatagramHeader: Equatable, Sendable {
    public var version: UInt8 = Wire.version
    public var kind: MessageKind
    public var flags: DatagramFlags = []
    public var sender: NodeId
    public var recipient: NodeId
    public var session: UInt64
    public var counter: UInt64
    public var timestamp: UInt64
    public var messageId: UInt32 = 0
    public var fragmentIndex: UInt16 = 0
    public var fragmentCount: UInt16 = 1
    public var totalLength: UInt32 = 0
    public var bodyLength: UInt16 = 0

    public init(kind: MessageKind, sender: NodeId, recipient: NodeId, session: UInt64, counter: UInt64,
                timestamp: UInt64, messageId: UInt32 = 0, fragmentIndex: UInt16 = 0, fragmentCount: UInt16 = 1,
                totalLength: UInt32 = 0) {
        self.kind = kind
        self.sender = sender
        self.recipient = recipient
        self.session = session
        self.counter = counter
        self.timestamp = timestamp
        self.messageId = messageId
        self.fragmentIndex = fragmentIndex
        self.fragmentCount = fragmentCount
        self.totalLength = totalLength
    }

    /// The 80 header bytes.
    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Wire.headerByteCount)
        w.bytes(Wire.magic)
        w.u8(version)
        w.u8(kind.rawValue)
        w.u8(flags.rawValue)
        w.u8(0)
        w.nodeId(sender)
        w.nodeId(recipient)
        w.u64(session)
        w.u64(counter)
        w.u64(timestamp)
        w.u32(messageId)
        w.u16(fragmentIndex)
        w.u16(fragmentCount)
        w.u32(totalLength)
        w.u16(bodyLength)
        w.u16(0)
        return w.output
    }

    /// Parses the header fields after the magic/version/length checks; nil on a malformed field
    /// (unknown kind is reported separately by the caller).
    static func parseFields(_ b: UnsafeRawBufferPointer) -> (header: DatagramHeader?, kindByte: UInt8, reservedOK: Bool) {
        var r = ByteReader(b)
        r.skip(4)
        let version = r.u8Unchecked()
        let kindByte = r.u8Unchecked()
        let flags = DatagramFlags(rawValue: r.u8Unchecked())
        let reserved1 = r.u8Unchecked()
        let sender = r.nodeIdUnchecked()
        let recipient = r.nodeIdUnchecked()
        let session = r.u64Unchecked()
        let counter = r.u64Unchecked()
        let timestamp = r.u64Unchecked()
        let messageId = r.u32Unchecked()
        let fragmentIndex = r.u16Unchecked()
        let fragmentCount = r.u16Unchecked()
        let totalLength = r.u32Unchecked()
        let bodyLength = r.u16Unchecked()
        let reserved2 = r.u16Unchecked()
        guard let kind = MessageKind(rawValue: kindByte) else { return (nil, kindByte, true) }
        var h = DatagramHeader(kind: kind, sender: sender, recipient: recipient, session: session, counter: counter,
                               timestamp: timestamp, messageId: messageId, fragmentIndex: fragmentIndex,
                               fragmentCount: fragmentCount, totalLength: totalLength)
        h.version = version
        h.flags = flags
        h.bodyLength = bodyLength
        return (h, kindByte, reserved1 == 0 && reserved2 == 0)
    }
}

/// How a message of `total` bytes is cut into fragments.
enum FragmentLayout {
    /// Fragment count and chunk length for a message of `total` bytes with chunks of at most
    /// `maximumChunk` bytes (an empty message is one empty fragment).
    static func plan(total: Int, maximumChunk: Int) -> (count: Int, chunk: Int) {
        guard total > 0 else { return (1, 0) }
        let count = (total + maximumChunk - 1) / maximumChunk
        return (count, chunk(total: total, count: count))
    }

    /// The chunk length implied by the header: `ceil(total / count)`.
    static func chunk(total: Int, count: Int) -> Int {
        (total + count - 1) / count
    }

    /// Whether `count` fragments of `total` bytes is a consistent layout (no empty fragment
    /// except the single fragment of an empty message, chunk within the protocol limit).
    static func isConsistent(total: Int, count: Int) -> Bool {
        guard count >= 1 else { return false }
        if total == 0 { return count == 1 }
        let c = chunk(total: total, count: count)
        return c <= Wire.maximumChunkByteCount && (total + c - 1) / c == count
    }

    /// Offset and length of fragment `index` (the layout must be consistent).
    static func range(total: Int, count: Int, index: Int) -> Range<Int> {
        let c = chunk(total: total, count: count)
        let start = index * c
        return start..<min(total, start + c)
    }
}

/// Appends little-endian integers to a byte array.
struct ByteWriter {
    var output: [UInt8]

    init(capacity: Int = 64) {
        output = []
        output.reserveCapacity(capacity)
    }

    mutating func u8(_ v: UInt8) { output.append(v) }
    mutating func u16(_ v: UInt16) { for i in 0..<2 { output.append(UInt8(truncatingIfNeeded: v >> (8 * UInt16(i)))) } }
    mutating func u32(_ v: UInt32) { for i in 0..<4 { output.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
    mutating func u64(_ v: UInt64) { for i in 0..<8 { output.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) } }
    mutating func bytes(_ b: [UInt8]) { output.append(contentsOf: b) }
    mutating func bytes(_ b: ArraySlice<UInt8>) { output.append(contentsOf: b) }

    /// NodeIds are written as their 16 bytes (big-endian halves), the same as ``NodeId/bytes``.
    mutating func nodeId(_ id: NodeId) {
        for i in 0..<8 { output.append(UInt8(truncatingIfNeeded: id.high >> (56 - 8 * UInt64(i)))) }
        for i in 0..<8 { output.append(UInt8(truncatingIfNeeded: id.low >> (56 - 8 * UInt64(i)))) }
    }

    /// family (4 or 6), port, then 4 or 16 address bytes.
    mutating func address(_ a: SocketAddress) {
        u8(a.family == .ipv4 ? 4 : 6)
        u16(a.port)
        bytes(a.addressBytes)
    }
}

/// Reads little-endian integers from a buffer. The checked readers return nil past the end;
/// the `Unchecked` ones are for the fixed header after its length has been verified.
struct ByteReader {
    let buffer: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }

    var remaining: Int { buffer.count - offset }

    mutating func skip(_ n: Int) { offset += n }

    mutating func u8Unchecked() -> UInt8 {
        defer { offset += 1 }
        return buffer[offset]
    }

    mutating func u16Unchecked() -> UInt16 {
        defer { offset += 2 }
        return UInt16(buffer[offset]) | UInt16(buffer[offset + 1]) << 8
    }

    mutating func u32Unchecked() -> UInt32 {
        var v: UInt32 = 0
        for i in (0..<4).reversed() { v = v << 8 | UInt32(buffer[offset + i]) }
        offset += 4
        return v
    }

    mutating func u64Unchecked() -> UInt64 {
        var v: UInt64 = 0
        for i in (0..<8).reversed() { v = v << 8 | UInt64(buffer[offset + i]) }
        offset += 8
        return v
    }

    mutating func nodeIdUnchecked() -> NodeId {
        defer { offset += 16 }
        return NodeId(unsafeBytes: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + 16]))
    }

    mutating func u8() -> UInt8? { remaining >= 1 ? u8Unchecked() : nil }
    mutating func u16() -> UInt16? { remaining >= 2 ? u16Unchecked() : nil }
    mutating func u32() -> UInt32? { remaining >= 4 ? u32Unchecked() : nil }
    mutating func u64() -> UInt64? { remaining >= 8 ? u64Unchecked() : nil }
    mutating func nodeId() -> NodeId? { remaining >= 16 ? nodeIdUnchecked() : nil }

    mutating func bytes(_ n: Int) -> [UInt8]? {
        guard n >= 0, remaining >= n else { return nil }
        defer { offset += n }
        return Array(buffer[offset..<offset + n])
    }

    mutating func address() -> SocketAddress? {
        guard let family = u8(), let port = u16() else { return nil }
        switch family {
        case 4:
            guard let b = bytes(4) else { return nil }
            return SocketAddress(ipv4: b[0], b[1], b[2], b[3], port: port)
        case 6:
            guard let b = bytes(16) else { return nil }
            return SocketAddress(ipv6: b, port: port)
        default:
            return nil
        }
    }
}
