import NXCrypto

/// How a CRDT is kept in the store: as records under `__nx/crdt/<type>/<key>` named by a
/// subkey. Counters and the register are one record (empty subkey); an LWW-Map has one record
/// per field (subkey = field), an ORSet one per element (subkey = BLAKE3-256 of the element,
/// since elements may be up to 1 MiB and store keys are short), an RGA one per element
/// (subkey = the element's OpId, 24 bytes). Each record is a self-contained piece of state
/// that merges on its own, so an operation rewrites only the records it touched and a state
/// transfer can ship records in any grouping.
protocol StoredCRDT {
    static var kind: CRDTKind { get }
    init()
    /// Merges one record (loading from the store, or a state-transfer record). Returns the
    /// record's new encoding when the state changed, nil otherwise. Throws for a malformed
    /// record or a subkey that does not match it.
    mutating func mergeRecord(subkey: [UInt8], value: [UInt8]) throws -> [UInt8]?
    /// Whether `op`'s causal dependencies are present (RGA: parent / target element).
    func canApply(_ op: SyncOperation) -> Bool
    /// Applies `op` (of this type, dependencies present); returns the changed records (none:
    /// the operation was already reflected). Records are never deleted.
    mutating func apply(_ op: SyncOperation) -> [RecordChange]
    /// Whole-state canonical encoding (version byte first).
    func encode() -> [UInt8]
}

/// A record to write: subkey and encoded value.
typealias RecordChange = (subkey: [UInt8], value: [UInt8])

extension StoredCRDT {
    func canApply(_ op: SyncOperation) -> Bool { true }
}

/// A record that does not belong to its key.
struct RecordMismatch: Error, CustomStringConvertible {
    var description: String
}

extension GCounter: StoredCRDT {
    static var kind: CRDTKind { .gcounter }

    mutating func mergeRecord(subkey: [UInt8], value: [UInt8]) throws -> [UInt8]? {
        guard subkey.isEmpty else { throw RecordMismatch(description: "gcounter record with a subkey") }
        return merge(try GCounter(decoding: value)) ? encode() : nil
    }

    mutating func apply(_ op: SyncOperation) -> [RecordChange] {
        guard case let .gcounter(total) = op.body else { return [] }
        return apply(node: op.id.origin, total: total) ? [([], encode())] : []
    }
}

extension PNCounter: StoredCRDT {
    static var kind: CRDTKind { .pncounter }

    mutating func mergeRecord(subkey: [UInt8], value: [UInt8]) throws -> [UInt8]? {
        guard subkey.isEmpty else { throw RecordMismatch(description: "pncounter record with a subkey") }
        return merge(try PNCounter(decoding: value)) ? encode() : nil
    }

    mutating func apply(_ op: SyncOperation) -> [RecordChange] {
        guard case let .pncounter(p, n) = op.body else { return [] }
        return apply(node: op.id.origin, positive: p, negative: n) ? [([], encode())] : []
    }
}

extension LWWRegister: StoredCRDT {
    static var kind: CRDTKind { .lwwRegister }

    mutating func mergeRecord(subkey: [UInt8], value: [UInt8]) throws -> [UInt8]? {
        guard subkey.isEmpty else { throw RecordMismatch(description: "lww register record with a subkey") }
        return merge(try LWWRegister(decoding: value)) ? encode() : nil
    }

    mutating func apply(_ op: SyncOperation) -> [RecordChange] {
        guard case let .lwwSet(ts, value) = op.body else { return [] }
        let e = LWWEntry(stamp: LWWStamp(timestamp: ts, node: op.id.origin), value: value)
        return apply(e) ? [([], encode())] : []
    }
}

extension LWWMap: StoredCRDT {
    static var kind: CRDTKind { .lwwMap }

    mutating func mergeRecord(subkey: [UInt8], value: [UInt8]) throws -> [UInt8]? {
        guard subkey.count <= SyncLimits.maxFieldBytes else { throw RecordMismatch(description: "lww map field too long") }
        let e = try LWWMap.decodeRecord(value)
        return apply(field: subkey, e) ? LWWMap.encodeRecord(e) : nil
    }

    mutating func apply(_ op: SyncOperation) -> [RecordChange] {
        let field: [UInt8], e: LWWEntry
        switch op.body {
        case let .lwwMapSet(f, ts, value):
            field = f
            e = LWWEntry(stamp: LWWStamp(timestamp: ts, node: op.id.origin), value: value)
        case let .lwwMapRemove(f, ts):
            field = f
            e = LWWEntry(stamp: LWWStamp(timestamp: ts, node: op.id.origin), value: nil)
        default:
            return []
        }
        return apply(field: field, e) ? [(field, LWWMap.encodeRecord(e))] : []
    }
}

extension ORSet: StoredCRDT {
    static var kind: CRDTKind { .orset }

    /// Subkey of an element's record.
    static func subkey(_ element: [UInt8]) -> [UInt8] { BLAKE3.hash(element) }

    mutating func mergeRecord(subkey: [UInt8], value: [UInt8]) throws -> [UInt8]? {
        let (element, tags) = try ORSet.decodeRecord(value)
        guard ORSet.subkey(element) == subkey else { throw RecordMismatch(description: "orset record under another element's hash") }
        return mergeElement(element, tags) ? encodeRecord(element) : nil
    }

    mutating func apply(_ op: SyncOperation) -> [RecordChange] {
        let element: [UInt8], changed: Bool
        switch op.body {
        case let .orsetAdd(e):
            element = e
            changed = add(e, tag: op.id)
        case let .orsetRemove(e, observed):
            element = e
            changed = remove(e, observed: observed)
        default:
            return []
        }
        guard changed, let record = encodeRecord(element) else { return [] }
        return [(ORSet.subkey(element), record)]
    }
}

extension RGA: StoredCRDT {
    static var kind: CRDTKind { .rga }

    static func subkey(_ id: OpId) -> [UInt8] {
        var w = ByteWriter(capacity: 24)
        w.node(id.origin)
        w.u64be(id.seq)
        return w.bytes
    }

    static func id(subkey: [UInt8]) throws -> OpId {
        guard subkey.count == 24 else { throw RecordMismatch(description: "rga record subkey of \(subkey.count) bytes") }
        var r = ByteReader(subkey)
        let origin = try r.node("rga subkey")
        let seq = try r.u64be("rga subkey")
        guard seq > 0 else { throw RecordMismatch(description: "rga record with sequence 0") }
        return OpId(origin: origin, seq: seq)
    }

    mutating func mergeRecord(subkey: [UInt8], value: [UInt8]) throws -> [UInt8]? {
        let id = try RGA.id(subkey: subkey)
        return mergeElement(id, try RGA.decodeRecord(value)) ? encodeRecord(id) : nil
    }

    func canApply(_ op: SyncOperation) -> Bool {
        guard let dep = op.rgaDependency else { return true }
        return contains(dep)
    }

    mutating func apply(_ op: SyncOperation) -> [RecordChange] {
        let id: OpId, changed: Bool
        switch op.body {
        case let .rgaInsert(parent, lamport, value):
            id = op.id
            changed = insert(id: op.id, parent: parent, lamport: lamport, value: value)
        case let .rgaDelete(target):
            id = target
            changed = delete(target)
        default:
            return []
        }
        guard changed, let record = encodeRecord(id) else { return [] }
        return [(RGA.subkey(id), record)]
    }
}
