/// A last-writer-wins timestamp: host milliseconds, then the writer's NodeId as tie-break.
public struct LWWStamp: Hashable, Comparable, Sendable {
    public var timestamp: UInt64
    public var node: NodeId

    public init(timestamp: UInt64, node: NodeId) {
        self.timestamp = timestamp
        self.node = node
    }

    public static func < (a: LWWStamp, b: LWWStamp) -> Bool {
        a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.node < b.node
    }

    /// The timestamp a local write should use so that it beats `current` even within one
    /// millisecond: `max(now, current + 1)`.
    static func next(now: UInt64, after current: LWWStamp?) -> UInt64 {
        guard let c = current else { return now }
        return max(now, c.timestamp == .max ? .max : c.timestamp + 1)
    }
}

/// One LWW slot: a stamp and a value, or a tombstone (`value == nil`).
public struct LWWEntry: Equatable, Sendable {
    public var stamp: LWWStamp
    public var value: [UInt8]?

    public init(stamp: LWWStamp, value: [UInt8]?) {
        self.stamp = stamp
        self.value = value
    }

    /// Total order used to pick the winner: stamp first; equal stamps (which correct nodes never
    /// produce, since a node's own writes to one slot have strictly increasing timestamps) are
    /// ordered by content (tombstone lowest, then bytes) so that replicas still agree.
    func beats(_ other: LWWEntry) -> Bool {
        if stamp != other.stamp { return other.stamp < stamp }
        switch (value, other.value) {
        case (nil, _): return false
        case (_?, nil): return true
        case let (a?, b?): return b.lexicographicallyPrecedes(a)
        }
    }

    /// `varint timestamp, node[16], u8 present, [varint length, bytes]`.
    func write(_ w: inout ByteWriter) {
        w.varint(stamp.timestamp)
        w.node(stamp.node)
        if let v = value {
            w.u8(1)
            w.lengthPrefixed(v)
        } else {
            w.u8(0)
        }
    }

    static func read(_ r: inout ByteReader, _ what: String) throws -> LWWEntry {
        let ts = try r.varint(what + " timestamp")
        let node = try r.node(what + " node")
        let at = r.offset
        switch try r.u8(what + " presence") {
        case 0: return LWWEntry(stamp: LWWStamp(timestamp: ts, node: node), value: nil)
        case 1:
            let v = try r.lengthPrefixed(what + " value", limit: SyncLimits.maxValueBytes)
            return LWWEntry(stamp: LWWStamp(timestamp: ts, node: node), value: v)
        default: throw DecodeError.invalid(what: what, offset: at, reason: "presence flag not 0/1")
        }
    }
}

/// A last-writer-wins register: the entry with the highest stamp wins.
public struct LWWRegister: Equatable, Sendable {
    public private(set) var entry: LWWEntry?

    public init() {}

    public var value: [UInt8]? { entry?.value }

    /// Timestamp for a local write at wall-clock `now`.
    public func nextTimestamp(now: UInt64) -> UInt64 { LWWStamp.next(now: now, after: entry?.stamp) }

    /// Keeps `candidate` if it beats the current entry; true when it did.
    @discardableResult
    public mutating func apply(_ candidate: LWWEntry) -> Bool {
        if let e = entry, !candidate.beats(e) { return false }
        entry = candidate
        return true
    }

    @discardableResult
    public mutating func merge(_ other: LWWRegister) -> Bool {
        guard let e = other.entry else { return false }
        return apply(e)
    }

    /// `u8 version, u8 present, [entry]`.
    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 32 + (entry?.value?.count ?? 0))
        w.u8(crdtEncodingVersion)
        if let e = entry {
            w.u8(1)
            e.write(&w)
        } else {
            w.u8(0)
        }
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        try r.version("lww register", expected: crdtEncodingVersion)
        let at = r.offset
        switch try r.u8("lww register presence") {
        case 0: entry = nil
        case 1: entry = try LWWEntry.read(&r, "lww register")
        default: throw DecodeError.invalid(what: "lww register", offset: at, reason: "presence flag not 0/1")
        }
        try r.expectEnd("lww register")
    }
}

/// A map whose fields are independent LWW registers. A remove writes a tombstone entry with a
/// stamp, so an older write that arrives later (replay, anti-entropy, a partitioned node)
/// cannot resurrect the field. Tombstones are kept (their cost is the field name and 25 bytes).
public struct LWWMap: Equatable, Sendable {
    /// Field → entry (value or tombstone).
    public private(set) var fields: [[UInt8]: LWWEntry] = [:]

    public init() {}

    public func get(_ field: [UInt8]) -> [UInt8]? { fields[field]?.value }

    /// Visible entries in byte order of the field.
    public var entries: [(field: [UInt8], value: [UInt8])] {
        fields.compactMap { f, e in e.value.map { (field: f, value: $0) } }
            .sorted { $0.field.lexicographicallyPrecedes($1.field) }
    }

    public func nextTimestamp(field: [UInt8], now: UInt64) -> UInt64 {
        LWWStamp.next(now: now, after: fields[field]?.stamp)
    }

    @discardableResult
    public mutating func apply(field: [UInt8], _ candidate: LWWEntry) -> Bool {
        if let e = fields[field], !candidate.beats(e) { return false }
        fields[field] = candidate
        return true
    }

    @discardableResult
    public mutating func merge(_ other: LWWMap) -> Bool {
        var changed = false
        for (f, e) in other.fields where apply(field: f, e) { changed = true }
        return changed
    }

    /// `u8 version, varint count, (varint field length, field, entry) in field byte order`.
    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u8(crdtEncodingVersion)
        w.varint(fields.count)
        for f in fields.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            w.lengthPrefixed(f)
            fields[f]!.write(&w)
        }
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        try r.version("lww map", expected: crdtEncodingVersion)
        let count = try r.length("lww map field count", limit: Int(UInt32.max), elementSize: 19)
        var previous: [UInt8]?
        for _ in 0..<count {
            let at = r.offset
            let f = try r.lengthPrefixed("lww map field", limit: SyncLimits.maxFieldBytes)
            if let p = previous, !p.lexicographicallyPrecedes(f) {
                throw DecodeError.invalid(what: "lww map", offset: at, reason: "fields out of order")
            }
            previous = f
            fields[f] = try LWWEntry.read(&r, "lww map entry")
        }
        try r.expectEnd("lww map")
    }

    /// One field's persisted record: `u8 version, entry`.
    static func encodeRecord(_ e: LWWEntry) -> [UInt8] {
        var w = ByteWriter(capacity: 32 + (e.value?.count ?? 0))
        w.u8(crdtEncodingVersion)
        e.write(&w)
        return w.bytes
    }

    static func decodeRecord(_ bytes: [UInt8]) throws -> LWWEntry {
        var r = ByteReader(bytes)
        try r.version("lww map record", expected: crdtEncodingVersion)
        let e = try LWWEntry.read(&r, "lww map record")
        try r.expectEnd("lww map record")
        return e
    }
}
