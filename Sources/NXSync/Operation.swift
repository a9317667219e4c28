/// Sizes the engine accepts (the host API's limits) and the wire's hard bounds.
public enum SyncLimits {
    /// Largest CRDT key.
    public static let maxKeyBytes = 1024
    /// Largest LWW-Map field name.
    public static let maxFieldBytes = 1024
    /// Largest value: register and map values, ORSet elements, RGA values.
    public static let maxValueBytes = 1 << 20
    /// Largest message `handle` accepts (larger ones are counted as malformed and dropped).
    /// Messages the engine produces stay below it: an operation is at most 1 MiB + 2.1 KiB
    /// (an ORSet remove of a 1 MiB element observed from `maxObservedTags` origins: 1.4 MiB),
    /// a state chunk at most `stateChunkBytes` or one record (same bounds) plus the version
    /// vector (26 bytes per origin), a digest 36 bytes per origin (`maxDigestOrigins`).
    public static let maxMessageBytes = 2 << 20
    /// Most add-tags one ORSet remove may carry (one per origin whose add of the element is
    /// visible; more makes the remove fail with `CRDTError.tooLarge`).
    public static let maxObservedTags = 1 << 14
}

/// The six replicated data types. The raw value is part of the wire and store formats.
public enum CRDTKind: UInt8, CaseIterable, Sendable {
    case gcounter = 1, pncounter, lwwRegister, orset, lwwMap, rga

    /// Path component of the type's state under `__nx/crdt/`.
    public var storeName: String {
        switch self {
        case .gcounter: return "gcounter"
        case .pncounter: return "pncounter"
        case .lwwRegister: return "lww"
        case .orset: return "orset"
        case .lwwMap: return "lwwmap"
        case .rga: return "rga"
        }
    }
}

/// One replicated operation: its id, the CRDT key, and what it does. Operations are what the
/// op log stores and what push and anti-entropy carry.
public struct SyncOperation: Equatable, Sendable {
    public enum Body: Equatable, Sendable {
        /// The origin's new GCounter slot total.
        case gcounter(total: UInt64)
        /// The origin's new PNCounter slot totals.
        case pncounter(positive: UInt64, negative: UInt64)
        /// An LWW-Register write; the writer is the origin.
        case lwwSet(timestamp: UInt64, value: [UInt8])
        case lwwMapSet(field: [UInt8], timestamp: UInt64, value: [UInt8])
        /// A tombstone for `field`.
        case lwwMapRemove(field: [UInt8], timestamp: UInt64)
        /// An add whose tag is the operation's id.
        case orsetAdd(element: [UInt8])
        /// A remove of the tags the origin observed.
        case orsetRemove(element: [UInt8], observed: [OpId])
        /// An insert after `parent` (nil: at the head); the new element's id is the
        /// operation's id.
        case rgaInsert(parent: OpId?, lamport: UInt64, value: [UInt8])
        case rgaDelete(target: OpId)
    }

    public var id: OpId
    public var key: [UInt8]
    public var body: Body

    public init(id: OpId, key: [UInt8], body: Body) {
        self.id = id
        self.key = key
        self.body = body
    }

    public var kind: CRDTKind {
        switch body {
        case .gcounter: return .gcounter
        case .pncounter: return .pncounter
        case .lwwSet: return .lwwRegister
        case .lwwMapSet, .lwwMapRemove: return .lwwMap
        case .orsetAdd, .orsetRemove: return .orset
        case .rgaInsert, .rgaDelete: return .rga
        }
    }

    /// The element that must exist before this operation applies (RGA only): an insert's
    /// parent, a delete's target.
    var rgaDependency: OpId? {
        switch body {
        case let .rgaInsert(parent, _, _): return parent
        case let .rgaDelete(target): return target
        default: return nil
        }
    }

    static let version: UInt8 = 1

    /// `u8 version, u8 body tag, origin[16], varint seq, varint key length, key, body`.
    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 40 + key.count + payloadSize)
        w.u8(Self.version)
        switch body {
        case let .gcounter(total):
            head(&w, 1)
            w.varint(total)
        case let .pncounter(p, n):
            head(&w, 2)
            w.varint(p)
            w.varint(n)
        case let .lwwSet(ts, value):
            head(&w, 3)
            w.varint(ts)
            w.lengthPrefixed(value)
        case let .lwwMapSet(field, ts, value):
            head(&w, 4)
            w.lengthPrefixed(field)
            w.varint(ts)
            w.lengthPrefixed(value)
        case let .lwwMapRemove(field, ts):
            head(&w, 5)
            w.lengthPrefixed(field)
            w.varint(ts)
        case let .orsetAdd(element):
            head(&w, 6)
            w.lengthPrefixed(element)
        case let .orsetRemove(element, observed):
            head(&w, 7)
            w.lengthPrefixed(element)
            w.varint(observed.count)
            for t in observed { w.opId(t) }
        case let .rgaInsert(parent, lamport, value):
            head(&w, 8)
            if let p = parent {
                w.u8(1)
                w.opId(p)
            } else {
                w.u8(0)
            }
            w.varint(lamport)
            w.lengthPrefixed(value)
        case let .rgaDelete(target):
            head(&w, 9)
            w.opId(target)
        }
        return w.bytes
    }

    private func head(_ w: inout ByteWriter, _ tag: UInt8) {
        w.u8(tag)
        w.opId(id)
        w.lengthPrefixed(key)
    }

    /// Bytes of values, fields and elements (for capacity hints and queue accounting).
    var payloadSize: Int {
        switch body {
        case .gcounter, .pncounter, .rgaDelete: return 0
        case let .lwwSet(_, v): return v.count
        case let .lwwMapSet(f, _, v): return f.count + v.count
        case let .lwwMapRemove(f, _): return f.count
        case let .orsetAdd(e): return e.count
        case let .orsetRemove(e, o): return e.count + o.count * 26
        case let .rgaInsert(_, _, v): return v.count + 26
        }
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        self = try SyncOperation.read(&r)
        try r.expectEnd("operation")
    }

    static func read(_ r: inout ByteReader) throws -> SyncOperation {
        try r.version("operation", expected: version)
        let at = r.offset
        let tag = try r.u8("operation kind")
        let id = try r.opId("operation id")
        let key = try r.lengthPrefixed("operation key", limit: SyncLimits.maxKeyBytes)
        let body: Body
        switch tag {
        case 1:
            body = .gcounter(total: try r.varint("gcounter total"))
        case 2:
            body = .pncounter(positive: try r.varint("pncounter positive"), negative: try r.varint("pncounter negative"))
        case 3:
            let ts = try r.varint("lww timestamp")
            body = .lwwSet(timestamp: ts, value: try r.lengthPrefixed("lww value", limit: SyncLimits.maxValueBytes))
        case 4:
            let f = try r.lengthPrefixed("lww map field", limit: SyncLimits.maxFieldBytes)
            let ts = try r.varint("lww map timestamp")
            body = .lwwMapSet(field: f, timestamp: ts, value: try r.lengthPrefixed("lww map value", limit: SyncLimits.maxValueBytes))
        case 5:
            let f = try r.lengthPrefixed("lww map field", limit: SyncLimits.maxFieldBytes)
            body = .lwwMapRemove(field: f, timestamp: try r.varint("lww map timestamp"))
        case 6:
            body = .orsetAdd(element: try r.lengthPrefixed("orset element", limit: SyncLimits.maxValueBytes))
        case 7:
            let e = try r.lengthPrefixed("orset element", limit: SyncLimits.maxValueBytes)
            let n = try r.length("orset observed tags", limit: SyncLimits.maxObservedTags, elementSize: 17)
            var tags: [OpId] = []
            tags.reserveCapacity(n)
            for _ in 0..<n { tags.append(try r.opId("orset observed tag")) }
            body = .orsetRemove(element: e, observed: tags)
        case 8:
            let flagAt = r.offset
            let parent: OpId?
            switch try r.u8("rga parent flag") {
            case 0: parent = nil
            case 1: parent = try r.opId("rga parent")
            default: throw DecodeError.invalid(what: "rga insert", offset: flagAt, reason: "parent flag not 0/1")
            }
            let lamport = try r.varint("rga lamport")
            body = .rgaInsert(parent: parent, lamport: lamport, value: try r.lengthPrefixed("rga value", limit: SyncLimits.maxValueBytes))
        case 9:
            body = .rgaDelete(target: try r.opId("rga target"))
        default:
            throw DecodeError.invalid(what: "operation", offset: at, reason: "unknown operation kind \(tag)")
        }
        return SyncOperation(id: id, key: key, body: body)
    }
}
