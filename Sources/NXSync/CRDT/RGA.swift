/// A Replicated Growable Array: an ordered sequence of byte values.
///
/// Every element is identified by the OpId of its insert and remembers the element it was
/// inserted after (its parent; `nil` = the head). The elements form a tree; the sequence is
/// its pre-order walk, where the children of an element are ordered newest-first by
/// (Lamport timestamp, origin NodeId, sequence), all descending. A local insert takes a Lamport
/// timestamp above every element of this RGA it knows, so it becomes the first child of its
/// parent and lands directly after it; and a node appending after its own last element builds
/// the list in order. Concurrent inserts after one parent are ordered by (Lamport, NodeId),
/// never by random ids alone.
///
/// A delete marks the element as a tombstone (its value is dropped): it disappears from the
/// values but stays in the tree, so its children stay visible and in place.
///
/// Operations: an insert needs its parent to be present (the sync engine holds it back until
/// the parent arrives); a delete needs its element. Merge is the union of elements with the
/// tombstone flags or-ed. An element whose parent is absent (possible only transiently while
/// a chunked state transfer is half done) is kept but unreachable, hence invisible, until its
/// parent arrives.
public struct RGA: Equatable, Sendable {
    public struct Element: Equatable, Sendable {
        /// The element this one was inserted after; nil = the head.
        public var parent: OpId?
        public var lamport: UInt64
        /// Empty for tombstones.
        public var value: [UInt8]
        public var deleted: Bool
    }

    public private(set) var elements: [OpId: Element] = [:]
    /// Parent (`OpId.head` for the head) → children in sequence order.
    private var children: [OpId: [OpId]] = [:]
    /// Compact (guest-visible) id → elements with that id (more than one only if two nodes
    /// share the first 8 bytes of their NodeId, see `compactId(of:)`).
    private var compact: [CompactKey: [OpId]] = [:]
    /// Highest Lamport timestamp of any element.
    public private(set) var maxLamport: UInt64 = 0

    public init() {}

    public static func == (a: RGA, b: RGA) -> Bool { a.elements == b.elements }

    struct CompactKey: Hashable {
        var prefix: UInt64
        var seq: UInt64
    }

    /// The 16-byte id guests see for an element: the first 8 bytes of the origin NodeId, then
    /// the sequence number, both big-endian.
    ///
    /// Collisions: two elements of one RGA share a compact id only if their origins share the
    /// first 8 bytes of their random NodeIds (probability about n²/2^65 for n nodes, 3·10^-16
    /// for 100 nodes) and both inserted into this RGA with the same sequence number. They stay
    /// distinct in the CRDT (the full OpId is used everywhere on the wire and in the store);
    /// only the guest-side lookup is affected, and it resolves deterministically to the
    /// element with the lowest full OpId (see `resolve(compactId:)`).
    public static func compactId(of id: OpId) -> [UInt8] {
        var w = ByteWriter(capacity: 16)
        w.u64be(id.origin.high)
        w.u64be(id.seq)
        return w.bytes
    }

    /// The element with this guest-visible id, or nil if there is none (wrong length included).
    public func resolve(compactId bytes: [UInt8]) -> OpId? {
        guard bytes.count == 16 else { return nil }
        var r = ByteReader(bytes)
        guard let p = try? r.u64be("id"), let s = try? r.u64be("id") else { return nil }
        return compact[CompactKey(prefix: p, seq: s)]?.min()
    }

    public func contains(_ id: OpId) -> Bool { elements[id] != nil }

    /// The Lamport timestamp for a new local insert.
    public var nextLamport: UInt64 { maxLamport == .max ? .max : maxLamport + 1 }

    /// Whether `a` comes before `b` among siblings: newest first by (lamport, origin, seq).
    private func precedes(_ a: OpId, _ b: OpId) -> Bool {
        let la = elements[a]!.lamport, lb = elements[b]!.lamport
        if la != lb { return la > lb }
        return b < a
    }

    /// Adds an element (an insert operation, or a record from a state transfer). False if an
    /// element with this id exists already (the insert was applied before).
    @discardableResult
    public mutating func insert(id: OpId, parent: OpId?, lamport: UInt64, value: [UInt8], deleted: Bool = false) -> Bool {
        guard elements[id] == nil, id != OpId.head else { return false }
        elements[id] = Element(parent: parent, lamport: lamport, value: deleted ? [] : value, deleted: deleted)
        maxLamport = max(maxLamport, lamport)
        let p = parent ?? OpId.head
        var lo = 0
        if let list = children[p] {
            var hi = list.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if precedes(list[mid], id) { lo = mid + 1 } else { hi = mid }
            }
        }
        children[p, default: []].insert(id, at: lo)  // in place, no copy of the list
        compact[CompactKey(prefix: id.origin.high, seq: id.seq), default: []].append(id)
        return true
    }

    /// Tombstones an element; false if it is absent or already deleted.
    @discardableResult
    public mutating func delete(_ id: OpId) -> Bool {
        guard let e = elements[id], !e.deleted else { return false }
        elements[id]!.deleted = true
        elements[id]!.value = []
        return true
    }

    /// Merges one element (from another replica's state).
    @discardableResult
    public mutating func mergeElement(_ id: OpId, _ e: Element) -> Bool {
        if elements[id] == nil {
            return insert(id: id, parent: e.parent, lamport: e.lamport, value: e.value, deleted: e.deleted)
        }
        return e.deleted ? delete(id) : false
    }

    @discardableResult
    public mutating func merge(_ other: RGA) -> Bool {
        var changed = false
        // Parents before children is not required (orphans wait unreachable), but inserting in
        // id order keeps the work deterministic.
        for id in other.elements.keys.sorted() where mergeElement(id, other.elements[id]!) { changed = true }
        return changed
    }

    /// Visible element ids in sequence order (pre-order walk from the head).
    public var order: [OpId] {
        var out: [OpId] = []
        out.reserveCapacity(elements.count)
        var stack: [(node: OpId, next: Int)] = [(OpId.head, 0)]
        while !stack.isEmpty {
            let top = stack[stack.count - 1]
            guard let kids = children[top.node], top.next < kids.count else {
                stack.removeLast()
                continue
            }
            stack[stack.count - 1].next += 1
            let c = kids[top.next]
            if !elements[c]!.deleted { out.append(c) }
            stack.append((c, 0))
        }
        return out
    }

    /// Visible values in sequence order.
    public var values: [[UInt8]] { order.map { elements[$0]!.value } }

    // MARK: Encoding

    /// `u8 version, varint count, (id, element) in id order`; an id is `node[16], varint seq`,
    /// an element `u8 flags (1 = has parent, 2 = deleted), [parent id], varint lamport,
    /// varint value length, value`.
    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u8(crdtEncodingVersion)
        w.varint(elements.count)
        for id in elements.keys.sorted() {
            w.opId(id)
            Self.writeElement(elements[id]!, &w)
        }
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        try r.version("rga", expected: crdtEncodingVersion)
        let count = try r.length("rga element count", limit: Int(UInt32.max), elementSize: 20)
        var previous: OpId?
        for _ in 0..<count {
            let at = r.offset
            let id = try r.opId("rga element id")
            if let p = previous, !(p < id) {
                throw DecodeError.invalid(what: "rga", offset: at, reason: "elements out of order")
            }
            previous = id
            let e = try Self.readElement(&r)
            insert(id: id, parent: e.parent, lamport: e.lamport, value: e.value, deleted: e.deleted)
        }
        try r.expectEnd("rga")
    }

    static func writeElement(_ e: Element, _ w: inout ByteWriter) {
        w.u8((e.parent != nil ? 1 : 0) | (e.deleted ? 2 : 0))
        if let p = e.parent { w.opId(p) }
        w.varint(e.lamport)
        w.lengthPrefixed(e.value)
    }

    static func readElement(_ r: inout ByteReader) throws -> Element {
        let at = r.offset
        let flags = try r.u8("rga element flags")
        guard flags & ~3 == 0 else { throw DecodeError.invalid(what: "rga element", offset: at, reason: "unknown flags \(flags)") }
        let parent = flags & 1 != 0 ? try r.opId("rga parent") : nil
        let lamport = try r.varint("rga lamport")
        let value = try r.lengthPrefixed("rga value", limit: SyncLimits.maxValueBytes)
        let deleted = flags & 2 != 0
        if deleted && !value.isEmpty {
            throw DecodeError.invalid(what: "rga element", offset: at, reason: "tombstone with a value")
        }
        return Element(parent: parent, lamport: lamport, value: value, deleted: deleted)
    }

    /// One element's persisted record: `u8 version, element`.
    func encodeRecord(_ id: OpId) -> [UInt8]? {
        guard let e = elements[id] else { return nil }
        var w = ByteWriter(capacity: 48 + e.value.count)
        w.u8(crdtEncodingVersion)
        Self.writeElement(e, &w)
        return w.bytes
    }

    static func decodeRecord(_ bytes: [UInt8]) throws -> Element {
        var r = ByteReader(bytes)
        try r.version("rga record", expected: crdtEncodingVersion)
        let e = try readElement(&r)
        try r.expectEnd("rga record")
        return e
    }
}
