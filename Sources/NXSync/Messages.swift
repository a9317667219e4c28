/// The sync engine's wire messages. Every message starts with a version byte (1) and a kind
/// byte; integers are LEB128 varints unless noted, node ids 16 raw bytes, byte strings
/// varint-length-prefixed.
///
/// | kind | message       | body |
/// |------|---------------|------|
/// | 1    | ops           | `u8 hops, varint count, count × (varint length, SyncOperation)` |
/// | 2    | digest        | `u8 flags (1 = wants reply, 2 = complete), varint count, count × (node[16], varint applied, varint floor)` |
/// | 3    | state request | `u64be session, varint cursor length, cursor` |
/// | 4    | state chunk   | `u64be session, varint cursor length, cursor, u8 flags (1 = done), varint origins, origins × (node[16], varint applied), varint records, records × (name, value)` |
///
/// Sizes: ops messages are filled up to `SyncConfiguration.targetMessageBytes` (default 1100),
/// except that an operation larger than that travels alone (at most 1 MiB + 2.1 KiB; an ORSet
/// remove of a 1 MiB element with the maximum 16,384 observed tags 1.4 MiB); digests are 4 +
/// at most 36 bytes per origin (at most `maxDigestOrigins` origins, default 4096: 147 KiB); a
/// state request is at most 2.1 KiB; a state chunk carries records up to `stateChunkBytes`
/// (default 64 KiB) or a single larger record (≤ 1.5 MiB), plus 26 bytes per origin of version
/// vector. Nothing above `SyncLimits.maxMessageBytes` (2 MiB) is accepted.
enum Message: Equatable {
    case ops(hops: UInt8, ops: [SyncOperation])
    case digest(wantsReply: Bool, complete: Bool, entries: [DigestEntry])
    case stateRequest(session: UInt64, cursor: [UInt8])
    case stateChunk(StateChunk)

    static let version: UInt8 = 1

    enum Kind: UInt8 {
        case ops = 1, digest = 2, stateRequest = 3, stateChunk = 4
    }

    var kind: Kind {
        switch self {
        case .ops: return .ops
        case .digest: return .digest
        case .stateRequest: return .stateRequest
        case .stateChunk: return .stateChunk
        }
    }

    func encode() -> [UInt8] {
        switch self {
        case let .ops(hops, ops):
            var b = OpsMessageBuilder(hops: hops)
            for op in ops { b.append(op.encode()) }
            return b.finish()
        case let .digest(wantsReply, complete, entries):
            var w = ByteWriter(capacity: 4 + entries.count * 36)
            w.u8(Self.version)
            w.u8(Kind.digest.rawValue)
            w.u8((wantsReply ? 1 : 0) | (complete ? 2 : 0))
            w.varint(entries.count)
            for e in entries {
                w.node(e.origin)
                w.varint(e.applied)
                w.varint(e.floor)
            }
            return w.bytes
        case let .stateRequest(session, cursor):
            var w = ByteWriter(capacity: 16 + cursor.count)
            w.u8(Self.version)
            w.u8(Kind.stateRequest.rawValue)
            w.u64be(session)
            w.lengthPrefixed(cursor)
            return w.bytes
        case let .stateChunk(c):
            var w = ByteWriter(capacity: 32 + c.cursor.count + c.versionVector.count * 26 + c.recordBytes)
            w.u8(Self.version)
            w.u8(Kind.stateChunk.rawValue)
            w.u64be(c.session)
            w.lengthPrefixed(c.cursor)
            w.u8(c.done ? 1 : 0)
            w.varint(c.versionVector.count)
            for (n, v) in c.versionVector {
                w.node(n)
                w.varint(v)
            }
            w.varint(c.records.count)
            for r in c.records {
                w.lengthPrefixed(r.name)
                w.lengthPrefixed(r.value)
            }
            return w.bytes
        }
    }

    /// Longest state record name: type name, slash, key length, key, subkey (≤ field size).
    static let maxRecordNameBytes = 16 + SyncLimits.maxKeyBytes + SyncLimits.maxFieldBytes
    /// Largest state record value (a 1 MiB value plus its header, or an ORSet element record
    /// with tags of up to `maxObservedTags` origins).
    static let maxRecordValueBytes = SyncLimits.maxValueBytes + 512 * 1024

    init(decoding bytes: [UInt8]) throws {
        guard bytes.count <= SyncLimits.maxMessageBytes else {
            throw DecodeError.tooLarge(what: "message", size: bytes.count, limit: SyncLimits.maxMessageBytes)
        }
        var r = ByteReader(bytes)
        try r.version("message", expected: Self.version)
        let kindAt = r.offset
        guard let kind = Kind(rawValue: try r.u8("message kind")) else {
            throw DecodeError.invalid(what: "message", offset: kindAt, reason: "unknown kind \(bytes[kindAt])")
        }
        switch kind {
        case .ops:
            let hops = try r.u8("hops")
            let count = try r.length("operation count", limit: bytes.count, elementSize: 2)
            var ops: [SyncOperation] = []
            ops.reserveCapacity(count)
            for _ in 0..<count {
                let encoded = try r.lengthPrefixed("operation", limit: SyncLimits.maxMessageBytes)
                ops.append(try SyncOperation(decoding: encoded))
            }
            self = .ops(hops: hops, ops: ops)
        case .digest:
            let flagsAt = r.offset
            let flags = try r.u8("digest flags")
            guard flags & ~3 == 0 else { throw DecodeError.invalid(what: "digest", offset: flagsAt, reason: "unknown flags \(flags)") }
            let count = try r.length("digest origins", limit: bytes.count, elementSize: 18)
            var entries: [DigestEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let at = r.offset
                let e = DigestEntry(origin: try r.node("digest origin"), applied: try r.varint("digest applied"),
                                    floor: try r.varint("digest floor"))
                guard e.floor <= e.applied else { throw DecodeError.invalid(what: "digest", offset: at, reason: "floor above applied") }
                entries.append(e)
            }
            self = .digest(wantsReply: flags & 1 != 0, complete: flags & 2 != 0, entries: entries)
        case .stateRequest:
            let session = try r.u64be("state session")
            self = .stateRequest(session: session, cursor: try r.lengthPrefixed("state cursor", limit: Self.maxRecordNameBytes))
        case .stateChunk:
            var c = StateChunk(session: try r.u64be("state session"),
                               cursor: try r.lengthPrefixed("state cursor", limit: Self.maxRecordNameBytes))
            let flagsAt = r.offset
            let flags = try r.u8("state chunk flags")
            guard flags & ~1 == 0 else { throw DecodeError.invalid(what: "state chunk", offset: flagsAt, reason: "unknown flags \(flags)") }
            c.done = flags & 1 != 0
            let origins = try r.length("state chunk origins", limit: bytes.count, elementSize: 17)
            for _ in 0..<origins {
                c.versionVector.append((try r.node("state chunk origin"), try r.varint("state chunk applied")))
            }
            let records = try r.length("state chunk records", limit: bytes.count, elementSize: 2)
            for _ in 0..<records {
                let name = try r.lengthPrefixed("state record name", limit: Self.maxRecordNameBytes)
                let value = try r.lengthPrefixed("state record value", limit: Self.maxRecordValueBytes)
                c.records.append((name, value))
                c.recordBytes += name.count + value.count
            }
            self = .stateChunk(c)
        }
        try r.expectEnd("message")
    }
}

/// One origin in a digest: the sender has applied 1...applied and can serve floor+1...applied
/// from its log.
struct DigestEntry: Equatable {
    var origin: NodeId
    var applied: UInt64
    var floor: UInt64
}

/// A piece of a state transfer: records of `__nx/crdt/` (names relative to it) after `cursor`,
/// in key order, with the sender's version vector when it read them.
struct StateChunk: Equatable {
    var session: UInt64
    /// The cursor of the request this answers (empty: the beginning).
    var cursor: [UInt8]
    var done = false
    var versionVector: [(NodeId, UInt64)] = []
    var records: [(name: [UInt8], value: [UInt8])] = []
    var recordBytes = 0

    init(session: UInt64, cursor: [UInt8]) {
        self.session = session
        self.cursor = cursor
    }

    static func == (a: StateChunk, b: StateChunk) -> Bool {
        a.session == b.session && a.cursor == b.cursor && a.done == b.done
            && a.versionVector.elementsEqual(b.versionVector, by: { $0 == $1 })
            && a.records.elementsEqual(b.records, by: { $0.name == $1.name && $0.value == $1.value })
    }
}

/// Packs already-encoded operations into one ops message.
struct OpsMessageBuilder {
    private var body = ByteWriter(capacity: 256)
    private(set) var count = 0
    let hops: UInt8

    init(hops: UInt8) { self.hops = hops }

    /// Bytes the message would have with `extra` more operation bytes.
    func size(adding extra: Int) -> Int {
        3 + ByteWriter.varintSize(count + 1) + body.count + ByteWriter.varintSize(extra) + extra
    }

    var isEmpty: Bool { count == 0 }

    mutating func append(_ encodedOp: [UInt8]) {
        body.lengthPrefixed(encodedOp)
        count += 1
    }

    func finish() -> [UInt8] {
        var w = ByteWriter(capacity: body.count + 8)
        w.u8(Message.version)
        w.u8(Message.Kind.ops.rawValue)
        w.u8(hops)
        w.varint(count)
        w.raw(body.bytes)
        return w.bytes
    }
}
