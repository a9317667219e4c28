/// Where replication keeps its data in the module's store. Everything is under `__nx/`, which
/// guests can neither read nor write.
///
/// ```
/// __nx/sync/node-id                         u8 version (1), node id[16]
/// __nx/sync/vv/<origin hex>                 u8 version (1), varint applied, varint log floor,
///                                           varint log bytes            (one per known origin)
/// __nx/sync/log/<origin hex>/<seq, 16 hex>  an encoded SyncOperation (retained ops: floor+1...applied)
/// __nx/crdt/<type>/<u16be key length><key><subkey>   a CRDT state record (see StoredCRDT)
/// ```
///
/// `applied` is the highest sequence of the origin whose operations (all of 1...applied) are
/// reflected in the CRDT state; the local node's next sequence is its own `applied + 1`. The
/// op log keeps a suffix `floor+1...applied` of each origin's operations. Every operation's
/// state records, log entry and `vv` record are written in one atomic `WriteBatch`.
enum StoreKeys {
    static let nodeID = Array("__nx/sync/node-id".utf8)
    static let versionVectorPrefix = Array("__nx/sync/vv/".utf8)
    static let logPrefix = Array("__nx/sync/log/".utf8)
    static let crdtPrefix = Array("__nx/crdt/".utf8)

    static func versionVector(_ origin: NodeId) -> [UInt8] { versionVectorPrefix + origin.hexBytes }

    static func log(_ origin: NodeId) -> [UInt8] { logPrefix + origin.hexBytes + [UInt8(ascii: "/")] }

    static func log(_ origin: NodeId, _ seq: UInt64) -> [UInt8] { log(origin) + Hex.u64(seq) }

    /// Prefix of every record of one CRDT key.
    static func crdt(_ kind: CRDTKind, _ key: [UInt8]) -> [UInt8] {
        crdtPrefix + relativeBase(kind, key)
    }

    /// `<type>/<u16be key length><key>`: the part below `__nx/crdt/` (what state chunks carry).
    static func relativeBase(_ kind: CRDTKind, _ key: [UInt8]) -> [UInt8] {
        var out = Array(kind.storeName.utf8)
        out.append(UInt8(ascii: "/"))
        out.append(UInt8(key.count >> 8))
        out.append(UInt8(key.count & 0xff))
        out += key
        return out
    }

    /// Splits a record name relative to `__nx/crdt/` into type, key and subkey.
    static func parseRelative(_ name: [UInt8]) throws -> (kind: CRDTKind, key: [UInt8], subkey: [UInt8]) {
        guard let slash = name.firstIndex(of: UInt8(ascii: "/")),
              let kind = CRDTKind.allCases.first(where: { Array($0.storeName.utf8) == Array(name[..<slash]) }) else {
            throw DecodeError.invalid(what: "state record name", offset: 0, reason: "unknown CRDT type")
        }
        var r = ByteReader(name, offset: slash + 1)
        let length = Int(try r.u16be("state record key length"))
        guard length <= SyncLimits.maxKeyBytes else {
            throw DecodeError.tooLarge(what: "state record key", size: length, limit: SyncLimits.maxKeyBytes)
        }
        let key = try r.raw(length, "state record key")
        let subkey = try r.raw(r.remaining, "state record subkey")
        return (kind, key, subkey)
    }
}

/// What the store holds about one origin (`__nx/sync/vv/<origin>`).
struct OriginState: Equatable {
    /// Operations 1...applied are reflected in the state.
    var applied: UInt64 = 0
    /// The log holds floor+1...applied.
    var floor: UInt64 = 0
    /// Encoded bytes of the retained log entries.
    var logBytes: Int = 0

    var retained: UInt64 { applied - floor }

    static let version: UInt8 = 1

    func encode() -> [UInt8] {
        var w = ByteWriter(capacity: 24)
        w.u8(Self.version)
        w.varint(applied)
        w.varint(floor)
        w.varint(logBytes)
        return w.bytes
    }

    init() {}

    init(decoding bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        try r.version("version vector record", expected: Self.version)
        applied = try r.varint("applied")
        floor = try r.varint("log floor")
        logBytes = Int(clamping: try r.varint("log bytes"))
        try r.expectEnd("version vector record")
        guard floor <= applied else {
            throw DecodeError.invalid(what: "version vector record", offset: 0, reason: "floor \(floor) above applied \(applied)")
        }
    }
}
