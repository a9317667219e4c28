/// An observed-remove set with add-wins semantics.
///
/// Every add creates a unique add-tag, the OpId of the add (origin, sequence). A remove carries
/// the tags its origin observed for the element; it removes exactly those, so an add that the
/// remover had not observed (a concurrent add) survives.
///
/// Representation: per element and per origin two numbers, the highest add-tag sequence of
/// that origin (`added`) and the highest of its tags that a remove observed (`removed`). This
/// is exact because a node's later add of an element supersedes its earlier tags for that
/// element (the node observed them, they are its own), so "tags of origin O up to sequence s"
/// are removed exactly when a remove observed O's tag s. The element is visible when some
/// origin has `added > removed`. Applying an add or remove is a `max`, so operations commute,
/// are idempotent, and a remove whose tags have not arrived yet needs no waiting: it is kept as
/// a tombstone (`removed` above `added`) and the add, when it comes, stays invisible. Merge is
/// the pointwise maximum. Elements whose tags are all removed are kept as tombstones.
public struct ORSet: Equatable, Sendable {
    public struct Tags: Equatable, Sendable {
        public var added: UInt64 = 0
        public var removed: UInt64 = 0
        var visible: Bool { added > removed }
    }

    /// Element → origin → tags.
    public private(set) var elements: [[UInt8]: [NodeId: Tags]] = [:]

    public init() {}

    public func contains(_ element: [UInt8]) -> Bool {
        elements[element]?.values.contains { $0.visible } ?? false
    }

    /// Visible elements in byte order.
    public var visibleElements: [[UInt8]] {
        elements.compactMap { e, t in t.values.contains { $0.visible } ? e : nil }
            .sorted { $0.lexicographicallyPrecedes($1) }
    }

    /// The add-tags of `element` that are visible here: what a local remove carries.
    public func observedTags(_ element: [UInt8]) -> [OpId] {
        guard let t = elements[element] else { return [] }
        return t.compactMap { n, tags in tags.visible ? OpId(origin: n, seq: tags.added) : nil }.sorted()
    }

    /// Applies an add whose tag is `tag`.
    @discardableResult
    public mutating func add(_ element: [UInt8], tag: OpId) -> Bool {
        var changed = false
        update(element, tag.origin) { t in
            if tag.seq > t.added { t.added = tag.seq; changed = true }
        }
        return changed
    }

    /// Applies a remove that observed `tags`.
    @discardableResult
    public mutating func remove(_ element: [UInt8], observed tags: [OpId]) -> Bool {
        var changed = false
        for tag in tags {
            update(element, tag.origin) { t in
                if tag.seq > t.removed { t.removed = tag.seq; changed = true }
            }
        }
        return changed
    }

    private mutating func update(_ element: [UInt8], _ origin: NodeId, _ body: (inout Tags) -> Void) {
        body(&elements[element, default: [:]][origin, default: Tags()])
    }

    /// Merges one element's tags; true when anything changed.
    @discardableResult
    mutating func mergeElement(_ element: [UInt8], _ tags: [NodeId: Tags]) -> Bool {
        var changed = false
        for (n, t) in tags {
            update(element, n) { mine in
                if t.added > mine.added { mine.added = t.added; changed = true }
                if t.removed > mine.removed { mine.removed = t.removed; changed = true }
            }
        }
        return changed
    }

    @discardableResult
    public mutating func merge(_ other: ORSet) -> Bool {
        var changed = false
        for (e, t) in other.elements where mergeElement(e, t) { changed = true }
        return changed
    }

    // MARK: Encoding

    /// `u8 version, varint count, (varint element length, element, tags) in element byte order`;
    /// tags are `varint count, (node[16], varint added, varint removed) in node order`.
    public func encode() -> [UInt8] {
        var w = ByteWriter()
        w.u8(crdtEncodingVersion)
        w.varint(elements.count)
        for e in elements.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
            w.lengthPrefixed(e)
            Self.writeTags(elements[e]!, &w)
        }
        return w.bytes
    }

    public init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        try r.version("orset", expected: crdtEncodingVersion)
        let count = try r.length("orset element count", limit: Int(UInt32.max), elementSize: 2)
        var previous: [UInt8]?
        for _ in 0..<count {
            let at = r.offset
            let e = try r.lengthPrefixed("orset element", limit: SyncLimits.maxValueBytes)
            if let p = previous, !p.lexicographicallyPrecedes(e) {
                throw DecodeError.invalid(what: "orset", offset: at, reason: "elements out of order")
            }
            previous = e
            elements[e] = try Self.readTags(&r)
        }
        try r.expectEnd("orset")
    }

    static func writeTags(_ tags: [NodeId: Tags], _ w: inout ByteWriter) {
        w.varint(tags.count)
        for n in tags.keys.sorted() {
            w.node(n)
            w.varint(tags[n]!.added)
            w.varint(tags[n]!.removed)
        }
    }

    static func readTags(_ r: inout ByteReader) throws -> [NodeId: Tags] {
        let count = try r.length("orset tag count", limit: Int(UInt32.max), elementSize: 18)
        var tags: [NodeId: Tags] = [:]
        var previous: NodeId?
        for _ in 0..<count {
            let at = r.offset
            let n = try r.node("orset tag node")
            let a = try r.varint("orset tag added")
            let d = try r.varint("orset tag removed")
            if let p = previous, !(p < n) {
                throw DecodeError.invalid(what: "orset tags", offset: at, reason: "nodes out of order")
            }
            previous = n
            tags[n] = Tags(added: a, removed: d)
        }
        return tags
    }

    /// One element's persisted record: `u8 version, varint element length, element, tags`.
    func encodeRecord(_ element: [UInt8]) -> [UInt8]? {
        guard let t = elements[element] else { return nil }
        var w = ByteWriter(capacity: element.count + 8 + t.count * 26)
        w.u8(crdtEncodingVersion)
        w.lengthPrefixed(element)
        Self.writeTags(t, &w)
        return w.bytes
    }

    static func decodeRecord(_ bytes: [UInt8]) throws -> (element: [UInt8], tags: [NodeId: Tags]) {
        var r = ByteReader(bytes)
        try r.version("orset record", expected: crdtEncodingVersion)
        let e = try r.lengthPrefixed("orset record element", limit: SyncLimits.maxValueBytes)
        let t = try readTags(&r)
        try r.expectEnd("orset record")
        return (e, t)
    }
}
