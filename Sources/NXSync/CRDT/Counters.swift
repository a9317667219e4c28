/// Errors of local CRDT operations that are not lookups (those throw
/// `ReplicationLookupError`).
public enum CRDTError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A counter slot would pass 2^64 - 1.
    case counterOverflow(current: UInt64, delta: UInt64)
    /// An argument is larger than the engine accepts (see `SyncLimits`).
    case tooLarge(what: String, size: Int, limit: Int)

    public var description: String {
        switch self {
        case let .counterOverflow(current, delta):
            return "counter slot \(current) + \(delta) overflows 64 bits"
        case let .tooLarge(what, size, limit):
            return "\(what) of \(size) bytes exceeds the limit of \(limit) bytes"
        }
    }
}

/// Version byte of every persisted or transmitted CRDT state encoding in this file format.
let crdtEncodingVersion: UInt8 = 1

/// A grow-only counter: one slot per node holding that node's running total; the value is the
/// sum. An operation carries the origin's new slot total (not a delta), so applying it is
/// `max` and therefore idempotent; merge is the pointwise maximum.
public struct GCounter: Equatable, Sendable {
    /// Node → that node's total.
    public private(set) var slots: [NodeId: UInt64] = [:]

    public init() {}

    /// Sum of the slots (saturating at 2^64 - 1).
    public var value: UInt64 {
        var sum: UInt64 = 0
        for v in slots.values {
            let (s, o) = sum.addingReportingOverflow(v)
            if o { return .max }
            sum = s
        }
        return sum
    }

    public func slot(_ node: NodeId) -> UInt64 { slots[node] ?? 0 }

    /// The slot total of `node` after adding `delta` (the operation to apply and replicate).
    public func total(afterAdding delta: UInt64, at node: NodeId) throws -> UInt64 {
        let current = slot(node)
        let (t, o) = current.addingReportingOverflow(delta)
        if o { throw CRDTError.counterOverflow(current: current, delta: delta) }
        return t
    }

    /// Raises `node`'s slot to `total`; false when it already was at least that.
    @discardableResult
    public mutating func apply(node: NodeId, total: UInt64) -> Bool {
        if total <= slot(node) { return false }
        slots[node] = total
        return true
    }

    /// Pointwise maximum; true when anything changed.
    @discardableResult
    public mutating func merge(_ other: GCounter) -> Bool {
        var changed = false
        for (n, v) in other.slots where apply(node: n, total: v) { changed = true }
        return changed
    }

    /// `u8 version, varint count, (node[16], varint total) in node order`.
    public func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 2 + slots.count * 20)
        w.u8(crdtEncodingVersion)
        Self.writeSlots(slots, &w)
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        try r.version("gcounter", expected: crdtEncodingVersion)
        slots = try Self.readSlots(&r, "gcounter")
        try r.expectEnd("gcounter")
    }

    static func writeSlots(_ slots: [NodeId: UInt64], _ w: inout ByteWriter) {
        w.varint(slots.count)
        for n in slots.keys.sorted() {
            w.node(n)
            w.varint(slots[n]!)
        }
    }

    static func readSlots(_ r: inout ByteReader, _ what: String) throws -> [NodeId: UInt64] {
        let count = try r.length(what + " slot count", limit: Int(UInt32.max), elementSize: 17)
        var slots: [NodeId: UInt64] = [:]
        var previous: NodeId?
        for _ in 0..<count {
            let at = r.offset
            let n = try r.node(what + " slot node")
            let v = try r.varint(what + " slot total")
            // Canonical form: strictly increasing nodes, no zero slots.
            if let p = previous, !(p < n) {
                throw DecodeError.invalid(what: what, offset: at, reason: "slots out of order")
            }
            if v == 0 { throw DecodeError.invalid(what: what, offset: at, reason: "zero slot") }
            previous = n
            slots[n] = v
        }
        return slots
    }
}

/// A counter that moves both ways: two grow-only counters (increments `positive`, decrements
/// `negative`); the value is their difference. Operations carry the origin's new totals of both.
public struct PNCounter: Equatable, Sendable {
    public private(set) var positive = GCounter()
    public private(set) var negative = GCounter()

    public init() {}

    /// positive - negative, clamped to the Int64 range.
    public var value: Int64 {
        let p = positive.value, n = negative.value
        if p >= n {
            let d = p - n
            return d > UInt64(Int64.max) ? .max : Int64(d)
        }
        let d = n - p
        return d > UInt64(Int64.max) ? .min : -Int64(d)
    }

    /// `node`'s (positive, negative) totals after adding `delta`.
    public func totals(afterAdding delta: Int64, at node: NodeId) throws -> (positive: UInt64, negative: UInt64) {
        if delta >= 0 {
            return (try positive.total(afterAdding: UInt64(delta), at: node), negative.slot(node))
        }
        return (positive.slot(node), try negative.total(afterAdding: delta.magnitude, at: node))
    }

    @discardableResult
    public mutating func apply(node: NodeId, positive p: UInt64, negative n: UInt64) -> Bool {
        let a = positive.apply(node: node, total: p)
        let b = negative.apply(node: node, total: n)
        return a || b
    }

    @discardableResult
    public mutating func merge(_ other: PNCounter) -> Bool {
        let a = positive.merge(other.positive)
        let b = negative.merge(other.negative)
        return a || b
    }

    /// `u8 version, positive slots, negative slots` (slots as in `GCounter`).
    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u8(crdtEncodingVersion)
        GCounter.writeSlots(positive.slots, &w)
        GCounter.writeSlots(negative.slots, &w)
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        try r.version("pncounter", expected: crdtEncodingVersion)
        for (n, v) in try GCounter.readSlots(&r, "pncounter positive") { positive.apply(node: n, total: v) }
        for (n, v) in try GCounter.readSlots(&r, "pncounter negative") { negative.apply(node: n, total: v) }
        try r.expectEnd("pncounter")
    }
}
