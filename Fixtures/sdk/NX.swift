// NX.swift - guest SDK for the nx host API in Embedded Swift (wasm32, no libc).
//
// Build (see guests/build.sh): compile this file together with your module (one
// whole-module object), compile the C runtime support nx_embedded_rt.c, link with wasm-ld:
//
//   clang --target=wasm32 -O2 -nostdlib -c nx_embedded_rt.c -o nx_embedded_rt.o
//   swiftc -target wasm32-unknown-none-wasm -enable-experimental-feature Embedded \
//       -enable-experimental-feature Extern -wmo -Osize -parse-as-library \
//       -Xfrontend -disable-stack-protector -c NX.swift mymodule.swift -o mymodule.o
//   clang --target=wasm32 -nostdlib -Wl,--no-entry -Wl,--export=run -Wl,--strip-debug \
//       mymodule.o nx_embedded_rt.o \
//       /opt/swift/usr/lib/swift/embedded/wasm32-unknown-none-wasm/libswiftUnicodeDataTables.a \
//       -o mymodule.wasm
//
// Why each piece:
// - Extern: `@_extern(wasm, module: "nx", name: ...)` declares the host imports.
// - -disable-stack-protector: otherwise the object references __stack_chk_guard/_fail.
// - nx_embedded_rt.c: the C symbols Embedded Swift's runtime/stdlib import, built on nx.h:
//   posix_memalign + free (every allocation), memcmp (String/Array equality), putchar
//   (print; line-buffered into host_log_v2), arc4random_buf (Hasher seeds for
//   Dictionary/Set; served by random_bytes), plus malloc/calloc/realloc/memcpy/memmove/
//   memset/strlen. (Defining malloc/free in Swift with @_cdecl draws "symbol name is
//   reserved for the Swift runtime ... will become an error", hence C.)
// - libswiftUnicodeDataTables.a: String comparison, hashing and Character APIs need the
//   normalisation tables (archive members are only pulled in when referenced).
//
// Raw imports are the contract's functions plus nx's extension `crdt_rga_entries`
// (CRDT.RGA.entries), which only modules that call it import.
//
// Errors are typed: every wrapper `throws(NXError)`. "Not found" is `nil` where the contract
// has a not-found result (DB.get, LWWRegister.get, LWWMap.get, System.env).
//
// BUFFER-TOO-SMALL RETRY POLICY (same as nx.h): the host returns ERR_BUFFER_TOO_SMALL (-2)
// and writes nothing when a result does not fit, so every variable-size read starts with
// a 256-byte buffer and doubles it after each -2 up to the host's 10 MiB output limit.
// Scans are paged and retried the same way per page. RGA.insert is never retried (a retry
// would insert twice); it uses a fixed 64-byte id buffer (ids are <= 16 bytes today).

// MARK: - Constants and errors

public enum NX {
    public static let ok: Int32 = 0
    public static let errNotFound: Int32 = -1
    public static let errBufferTooSmall: Int32 = -2
    public static let errInternal: Int32 = -3
    public static let errReservedKey: Int32 = -4
    public static let errSyncDisabled: Int32 = -5
    /// SDK-side codes, never returned by the host.
    public static let errNoMemory: Int32 = -100
    public static let errMalformed: Int32 = -101

    public static let maxKeyLength: UInt32 = 1024
    public static let maxValueLength: UInt32 = 1 << 20
    public static let maxOutput: UInt32 = 10 << 20
    public static let maxRandomLength: UInt32 = 1 << 20
    public static let maxLogLength: UInt32 = 8 << 10
    public static let initialOutCap: UInt32 = 256
    public static let rgaIDCap: UInt32 = 64
}

public enum NXError: Error, Equatable {
    case notFound, bufferTooSmall, internalError, reservedKey, syncDisabled
    case noMemory, malformed
    case other(Int32)

    public init(code: Int32) {
        switch code {
        case NX.errNotFound: self = .notFound
        case NX.errBufferTooSmall: self = .bufferTooSmall
        case NX.errInternal: self = .internalError
        case NX.errReservedKey: self = .reservedKey
        case NX.errSyncDisabled: self = .syncDisabled
        case NX.errNoMemory: self = .noMemory
        case NX.errMalformed: self = .malformed
        default: self = .other(code)
        }
    }

    public var code: Int32 {
        switch self {
        case .notFound: return NX.errNotFound
        case .bufferTooSmall: return NX.errBufferTooSmall
        case .internalError: return NX.errInternal
        case .reservedKey: return NX.errReservedKey
        case .syncDisabled: return NX.errSyncDisabled
        case .noMemory: return NX.errNoMemory
        case .malformed: return NX.errMalformed
        case .other(let c): return c
        }
    }

    public var description: String {
        switch self {
        case .notFound: return "ERR_NOT_FOUND"
        case .bufferTooSmall: return "ERR_BUFFER_TOO_SMALL"
        case .internalError: return "ERR_INTERNAL"
        case .reservedKey: return "ERR_RESERVED_KEY"
        case .syncDisabled: return "ERR_SYNC_DISABLED"
        case .noMemory: return "SDK: out of memory"
        case .malformed: return "SDK: malformed host output"
        case .other(let c): return "error \(c)"
        }
    }
}

// MARK: - Raw imports (exact contract names; pointers/lengths u32, cursors/deltas u64)

@_extern(wasm, module: "nx", name: "db_get") @_extern(c)
func nx_raw_db_get(_ keyPtr: UInt32, _ keyLen: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "db_set") @_extern(c)
func nx_raw_db_set(_ keyPtr: UInt32, _ keyLen: UInt32, _ valPtr: UInt32, _ valLen: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "db_delete") @_extern(c)
func nx_raw_db_delete(_ keyPtr: UInt32, _ keyLen: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "db_exists") @_extern(c)
func nx_raw_db_exists(_ keyPtr: UInt32, _ keyLen: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "db_scan") @_extern(c)
func nx_raw_db_scan(_ prefixPtr: UInt32, _ prefixLen: UInt32, _ cursor: UInt64, _ limit: UInt32,
                    _ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "db_scan_after") @_extern(c)
func nx_raw_db_scan_after(_ prefixPtr: UInt32, _ prefixLen: UInt32, _ afterPtr: UInt32, _ afterLen: UInt32,
                          _ limit: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "db_keys") @_extern(c)
func nx_raw_db_keys(_ prefixPtr: UInt32, _ prefixLen: UInt32, _ cursor: UInt64, _ limit: UInt32,
                    _ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "db_keys_after") @_extern(c)
func nx_raw_db_keys_after(_ prefixPtr: UInt32, _ prefixLen: UInt32, _ afterPtr: UInt32, _ afterLen: UInt32,
                          _ limit: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32

@_extern(wasm, module: "nx", name: "crdt_gcounter_inc") @_extern(c)
func nx_raw_crdt_gcounter_inc(_ keyPtr: UInt32, _ keyLen: UInt32, _ delta: UInt64) -> Int32
@_extern(wasm, module: "nx", name: "crdt_gcounter_value") @_extern(c)
func nx_raw_crdt_gcounter_value(_ keyPtr: UInt32, _ keyLen: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_pncounter_inc") @_extern(c)
func nx_raw_crdt_pncounter_inc(_ keyPtr: UInt32, _ keyLen: UInt32, _ delta: UInt64) -> Int32
@_extern(wasm, module: "nx", name: "crdt_pncounter_dec") @_extern(c)
func nx_raw_crdt_pncounter_dec(_ keyPtr: UInt32, _ keyLen: UInt32, _ delta: UInt64) -> Int32
@_extern(wasm, module: "nx", name: "crdt_pncounter_value") @_extern(c)
func nx_raw_crdt_pncounter_value(_ keyPtr: UInt32, _ keyLen: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_lww_set") @_extern(c)
func nx_raw_crdt_lww_set(_ keyPtr: UInt32, _ keyLen: UInt32, _ valuePtr: UInt32, _ valueLen: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_lww_get") @_extern(c)
func nx_raw_crdt_lww_get(_ keyPtr: UInt32, _ keyLen: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_lww_map_set") @_extern(c)
func nx_raw_crdt_lww_map_set(_ keyPtr: UInt32, _ keyLen: UInt32, _ fieldPtr: UInt32, _ fieldLen: UInt32,
                             _ valuePtr: UInt32, _ valueLen: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_lww_map_remove") @_extern(c)
func nx_raw_crdt_lww_map_remove(_ keyPtr: UInt32, _ keyLen: UInt32, _ fieldPtr: UInt32, _ fieldLen: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_lww_map_get") @_extern(c)
func nx_raw_crdt_lww_map_get(_ keyPtr: UInt32, _ keyLen: UInt32, _ fieldPtr: UInt32, _ fieldLen: UInt32,
                             _ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_lww_map_contains") @_extern(c)
func nx_raw_crdt_lww_map_contains(_ keyPtr: UInt32, _ keyLen: UInt32, _ fieldPtr: UInt32, _ fieldLen: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_lww_map_entries") @_extern(c)
func nx_raw_crdt_lww_map_entries(_ keyPtr: UInt32, _ keyLen: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_orset_add") @_extern(c)
func nx_raw_crdt_orset_add(_ keyPtr: UInt32, _ keyLen: UInt32, _ elemPtr: UInt32, _ elemLen: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_orset_remove") @_extern(c)
func nx_raw_crdt_orset_remove(_ keyPtr: UInt32, _ keyLen: UInt32, _ elemPtr: UInt32, _ elemLen: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_orset_contains") @_extern(c)
func nx_raw_crdt_orset_contains(_ keyPtr: UInt32, _ keyLen: UInt32, _ elemPtr: UInt32, _ elemLen: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_orset_elements") @_extern(c)
func nx_raw_crdt_orset_elements(_ keyPtr: UInt32, _ keyLen: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_rga_insert") @_extern(c)
func nx_raw_crdt_rga_insert(_ keyPtr: UInt32, _ keyLen: UInt32, _ parentPtr: UInt32, _ parentLen: UInt32,
                            _ valuePtr: UInt32, _ valueLen: UInt32, _ outIDPtr: UInt32, _ outIDCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_rga_delete") @_extern(c)
func nx_raw_crdt_rga_delete(_ keyPtr: UInt32, _ keyLen: UInt32, _ idPtr: UInt32, _ idLen: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "crdt_rga_values") @_extern(c)
func nx_raw_crdt_rga_values(_ keyPtr: UInt32, _ keyLen: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32
// nx extension, not in host-api.txt (imported only by modules that call CRDT.RGA.entries).
@_extern(wasm, module: "nx", name: "crdt_rga_entries") @_extern(c)
func nx_raw_crdt_rga_entries(_ keyPtr: UInt32, _ keyLen: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32

@_extern(wasm, module: "nx", name: "time_now") @_extern(c)
func nx_raw_time_now() -> UInt64
@_extern(wasm, module: "nx", name: "time_monotonic") @_extern(c)
func nx_raw_time_monotonic() -> UInt64

@_extern(wasm, module: "nx", name: "random_bytes") @_extern(c)
func nx_raw_random_bytes(_ outPtr: UInt32, _ outLen: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "hash_sha256") @_extern(c)
func nx_raw_hash_sha256(_ inPtr: UInt32, _ inLen: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "hash_blake3") @_extern(c)
func nx_raw_hash_blake3(_ inPtr: UInt32, _ inLen: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32

@_extern(wasm, module: "nx", name: "env_get") @_extern(c)
func nx_raw_env_get(_ keyPtr: UInt32, _ keyLen: UInt32, _ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "module_id") @_extern(c)
func nx_raw_module_id(_ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "host_capabilities") @_extern(c)
func nx_raw_host_capabilities(_ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "event_emit") @_extern(c)
func nx_raw_event_emit(_ namePtr: UInt32, _ nameLen: UInt32, _ payloadPtr: UInt32, _ payloadLen: UInt32) -> Int32
/// Does not return (the host traps). Declared Void because `Never` is not C-representable.
@_extern(wasm, module: "nx", name: "abort") @_extern(c)
func nx_raw_abort(_ msgPtr: UInt32, _ msgLen: UInt32)

@_extern(wasm, module: "nx", name: "net_node_id") @_extern(c)
func nx_raw_net_node_id(_ outPtr: UInt32, _ outCap: UInt32) -> Int32
@_extern(wasm, module: "nx", name: "net_peers") @_extern(c)
func nx_raw_net_peers(_ outPtr: UInt32, _ outCap: UInt32) -> Int32

@_extern(wasm, module: "nx", name: "host_log_v2") @_extern(c)
func nx_raw_host_log_v2(_ msgPtr: UInt32, _ msgLen: UInt32) -> Int32

// MARK: - Byte views

/// Anything that can lend its bytes to a host call: String (UTF-8), [UInt8], ArraySlice<UInt8>,
/// Substring, StaticString.
public protocol NXBytes {
    func withNXBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R
}

extension String: NXBytes {
    public func withNXBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        var copy = self // withUTF8 is mutating (it may make the string contiguous)
        return copy.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}
extension Substring: NXBytes {
    public func withNXBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        var copy = self
        return copy.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }
}
extension StaticString: NXBytes {
    public func withNXBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUTF8Buffer { body(UnsafeRawBufferPointer($0)) }
    }
}
extension Array: NXBytes where Element == UInt8 {
    public func withNXBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes(body)
    }
}
extension ArraySlice: NXBytes where Element == UInt8 {
    public func withNXBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        withUnsafeBytes(body)
    }
}

@inline(__always) func nxAddr(_ p: UnsafeRawPointer?) -> UInt32 {
    UInt32(truncatingIfNeeded: UInt(bitPattern: p))
}
@inline(__always) func nxAddr(_ b: UnsafeRawBufferPointer) -> UInt32 { nxAddr(b.baseAddress) }
@inline(__always) func nxLen(_ b: UnsafeRawBufferPointer) -> UInt32 { UInt32(truncatingIfNeeded: b.count) }

@inline(__always) func nxCheck(_ code: Int32) throws(NXError) {
    if code < 0 { throw NXError(code: code) }
}
@inline(__always) func nxBool(_ code: Int32) throws(NXError) -> Bool {
    if code < 0 { throw NXError(code: code) }
    return code != 0
}

/// The retry policy: call `call(outPtr, outCap)` with a 256-byte buffer, doubling after each
/// ERR_BUFFER_TOO_SMALL up to NX.maxOutput. `startCap` lets scans continue at a known size.
func nxFetch(startCap: UInt32 = NX.initialOutCap, _ call: (UInt32, UInt32) -> Int32) -> Result<[UInt8], NXError> {
    var cap = startCap
    while true {
        var result: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: Int(cap)) { buf, count in
            result = call(nxAddr(UnsafeRawPointer(buf.baseAddress)), cap)
            count = result >= 0 && UInt32(result) <= cap ? Int(result) : 0
        }
        if result >= 0 {
            return UInt32(result) <= cap ? .success(bytes) : .failure(.malformed)
        }
        if result != NX.errBufferTooSmall || cap >= NX.maxOutput {
            return .failure(NXError(code: result))
        }
        cap = cap > NX.maxOutput / 2 ? NX.maxOutput : cap * 2
    }
}

/// `nil` for ERR_NOT_FOUND, the bytes on success, throws otherwise.
func nxOptional(_ r: Result<[UInt8], NXError>) throws(NXError) -> [UInt8]? {
    switch r {
    case .success(let b): return b
    case .failure(.notFound): return nil
    case .failure(let e): throw e
    }
}

func nxString(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

// MARK: - Decoders for the little-endian binary outputs

/// Reads `u32 count` followed by count records; every read is bounds-checked and trailing
/// bytes are an error (.malformed).
public struct NXReader {
    let bytes: [UInt8]
    var pos = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func u32() throws(NXError) -> UInt32 {
        guard bytes.count - pos >= 4 else { throw .malformed }
        let v = UInt32(bytes[pos]) | UInt32(bytes[pos + 1]) << 8 | UInt32(bytes[pos + 2]) << 16
            | UInt32(bytes[pos + 3]) << 24
        pos += 4
        return v
    }
    public mutating func take(_ n: UInt32) throws(NXError) -> [UInt8] {
        guard UInt32(bytes.count - pos) >= n else { throw .malformed }
        let out = Array(bytes[pos..<pos + Int(n)])
        pos += Int(n)
        return out
    }
    public func finish() throws(NXError) {
        if pos != bytes.count { throw .malformed }
    }
}

public enum NXDecode {
    /// db_scan rows: u32 count; {u32 klen, u32 vlen, key, value}*
    public static func rows(_ b: [UInt8]) throws(NXError) -> [DB.Row] {
        var r = NXReader(b)
        let n = try r.u32()
        var out: [DB.Row] = []
        for _ in 0..<n {
            let kl = try r.u32(), vl = try r.u32()
            let k = try r.take(kl), v = try r.take(vl)
            out.append(DB.Row(key: k, value: v))
        }
        try r.finish()
        return out
    }
    /// db_keys, orset elements, rga values: u32 count; {u32 len, bytes}*
    public static func items(_ b: [UInt8]) throws(NXError) -> [[UInt8]] {
        var r = NXReader(b)
        let n = try r.u32()
        var out: [[UInt8]] = []
        for _ in 0..<n { out.append(try r.take(try r.u32())) }
        try r.finish()
        return out
    }
    /// lww_map entries: u32 count; {u32 flen, field, u32 vlen, value}*
    public static func entries(_ b: [UInt8]) throws(NXError) -> [CRDT.LWWMap.Entry] {
        try pairs(b) { f, v in CRDT.LWWMap.Entry(field: nxString(f), value: v) }
    }
    /// rga entries (nx extension): u32 count; {u32 id_len, id, u32 vlen, value}*, the
    /// lww_map entries layout with the element id in place of the field.
    public static func rgaEntries(_ b: [UInt8]) throws(NXError) -> [CRDT.RGA.Entry] {
        try pairs(b) { id, v in CRDT.RGA.Entry(id: id, value: v) }
    }
    /// u32 count; {u32 len, first, u32 len, second}*, each pair made into one T.
    static func pairs<T>(_ b: [UInt8], _ make: ([UInt8], [UInt8]) -> T) throws(NXError) -> [T] {
        var r = NXReader(b)
        let n = try r.u32()
        var out: [T] = []
        for _ in 0..<n {
            let first = try r.take(try r.u32())
            let second = try r.take(try r.u32())
            out.append(make(first, second))
        }
        try r.finish()
        return out
    }
    /// net_peers: u32 count; {u32 addr_len, u32 node_id_len, addr, node_id}*
    public static func peers(_ b: [UInt8]) throws(NXError) -> [Net.Peer] {
        var r = NXReader(b)
        let n = try r.u32()
        var out: [Net.Peer] = []
        for _ in 0..<n {
            let al = try r.u32(), nl = try r.u32()
            let a = try r.take(al), id = try r.take(nl)
            out.append(Net.Peer(address: nxString(a), nodeID: id))
        }
        try r.finish()
        return out
    }
    /// 8-byte little-endian u64 (gcounter value).
    public static func u64(_ b: [UInt8]) throws(NXError) -> UInt64 {
        guard b.count == 8 else { throw .malformed }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[i]) << (8 * UInt64(i)) }
        return v
    }
}

// MARK: - Logging

/// Writes a message to the host log (truncated to 8 KiB). Errors are ignored, as in the
/// contract's `log("...")`; use Log.write to see them.
public func log(_ message: String) {
    _ = try? Log.write(message)
}

public enum Log {
    public static func write(_ message: some NXBytes) throws(NXError) {
        let r = message.withNXBytes { b in
            nx_raw_host_log_v2(nxAddr(b), min(nxLen(b), NX.maxLogLength))
        }
        try nxCheck(r)
    }
}

// MARK: - Database

public enum DB {
    public struct Row: Equatable {
        public let key: [UInt8]
        public let value: [UInt8]
        public init(key: [UInt8], value: [UInt8]) {
            self.key = key
            self.value = value
        }
    }

    static func checkKey(_ b: UnsafeRawBufferPointer) -> Bool { UInt32(b.count) <= NX.maxKeyLength }

    /// The value, or nil when the key is absent.
    public static func get(_ key: some NXBytes) throws(NXError) -> [UInt8]? {
        let r: Result<[UInt8], NXError> = key.withNXBytes { k in
            guard checkKey(k) else { return .failure(.internalError) }
            return nxFetch { p, c in nx_raw_db_get(nxAddr(k), nxLen(k), p, c) }
        }
        return try nxOptional(r)
    }

    public static func set(_ key: some NXBytes, _ value: some NXBytes) throws(NXError) {
        let r = key.withNXBytes { k in
            value.withNXBytes { v in
                guard checkKey(k), UInt32(v.count) <= NX.maxValueLength else { return NX.errInternal }
                return nx_raw_db_set(nxAddr(k), nxLen(k), nxAddr(v), nxLen(v))
            }
        }
        try nxCheck(r)
    }

    /// Succeeds even when the key does not exist.
    public static func delete(_ key: some NXBytes) throws(NXError) {
        let r = key.withNXBytes { k in
            checkKey(k) ? nx_raw_db_delete(nxAddr(k), nxLen(k)) : NX.errInternal
        }
        try nxCheck(r)
    }

    public static func exists(_ key: some NXBytes) throws(NXError) -> Bool {
        let r = key.withNXBytes { k in
            checkKey(k) ? nx_raw_db_exists(nxAddr(k), nxLen(k)) : NX.errInternal
        }
        return try nxBool(r)
    }

    enum Cursor {
        case offset(UInt64)
        case after([UInt8])
    }

    /// One page of raw output (keysOnly selects db_keys*). `cap` carries the buffer size
    /// from page to page so the retry does not restart at 256 bytes each time.
    static func page(_ prefix: some NXBytes, _ cursor: Cursor, limit: UInt32, keysOnly: Bool,
                     cap: inout UInt32) -> Result<[UInt8], NXError> {
        var used = cap
        let r: Result<[UInt8], NXError> = prefix.withNXBytes { pre in
            switch cursor {
            case .offset(let off):
                return nxFetch(startCap: cap) { p, c in
                    used = c
                    return keysOnly
                        ? nx_raw_db_keys(nxAddr(pre), nxLen(pre), off, limit, p, c)
                        : nx_raw_db_scan(nxAddr(pre), nxLen(pre), off, limit, p, c)
                }
            case .after(let key):
                return key.withNXBytes { a in
                    nxFetch(startCap: cap) { p, c in
                        used = c
                        return keysOnly
                            ? nx_raw_db_keys_after(nxAddr(pre), nxLen(pre), nxAddr(a), nxLen(a), limit, p, c)
                            : nx_raw_db_scan_after(nxAddr(pre), nxLen(pre), nxAddr(a), nxLen(a), limit, p, c)
                    }
                }
            }
        }
        cap = used
        return r
    }

    /// One page with the offset cursor (db_scan, compatibility API). limit 0 = as many
    /// rows as fit. A page may hold fewer rows than limit; an empty page ends the scan.
    public static func scanPage(_ prefix: some NXBytes, offset: UInt64, limit: UInt32 = 0) throws(NXError) -> [Row] {
        var cap = NX.initialOutCap
        return try NXDecode.rows(page(prefix, .offset(offset), limit: limit, keysOnly: false, cap: &cap).get())
    }
    /// One page with the key cursor (db_scan_after, preferred). `after` empty = from the start.
    public static func scanPage(_ prefix: some NXBytes, after: [UInt8], limit: UInt32 = 0) throws(NXError) -> [Row] {
        var cap = NX.initialOutCap
        return try NXDecode.rows(page(prefix, .after(after), limit: limit, keysOnly: false, cap: &cap).get())
    }
    public static func keysPage(_ prefix: some NXBytes, offset: UInt64, limit: UInt32 = 0) throws(NXError) -> [[UInt8]] {
        var cap = NX.initialOutCap
        return try NXDecode.items(page(prefix, .offset(offset), limit: limit, keysOnly: true, cap: &cap).get())
    }
    public static func keysPage(_ prefix: some NXBytes, after: [UInt8], limit: UInt32 = 0) throws(NXError) -> [[UInt8]] {
        var cap = NX.initialOutCap
        return try NXDecode.items(page(prefix, .after(after), limit: limit, keysOnly: true, cap: &cap).get())
    }

    /// Every row under prefix, paginated with the key cursor (pages of `pageLimit` rows,
    /// 0 = as many as fit in the buffer).
    public static func scan(_ prefix: some NXBytes, pageLimit: UInt32 = 0) throws(NXError) -> [Row] {
        var all: [Row] = []
        var cap = NX.initialOutCap
        var after: [UInt8] = []
        while true {
            let rows = try NXDecode.rows(page(prefix, .after(after), limit: pageLimit, keysOnly: false, cap: &cap).get())
            if rows.isEmpty { return all }
            for row in rows { // a page that does not move past the cursor would loop forever
                if !after.isEmpty && !after.lexicographicallyPrecedes(row.key) { throw .malformed }
                after = row.key
            }
            all.append(contentsOf: rows)
            if pageLimit == 0 || UInt32(rows.count) < pageLimit { cap = growPageCap(cap) }
        }
    }

    /// Every key under prefix, paginated with the key cursor.
    public static func keys(_ prefix: some NXBytes, pageLimit: UInt32 = 0) throws(NXError) -> [[UInt8]] {
        var all: [[UInt8]] = []
        var cap = NX.initialOutCap
        var after: [UInt8] = []
        while true {
            let keys = try NXDecode.items(page(prefix, .after(after), limit: pageLimit, keysOnly: true, cap: &cap).get())
            if keys.isEmpty { return all }
            for key in keys {
                if !after.isEmpty && !after.lexicographicallyPrecedes(key) { throw .malformed }
                after = key
            }
            all.append(contentsOf: keys)
            if pageLimit == 0 || UInt32(keys.count) < pageLimit { cap = growPageCap(cap) }
        }
    }

    /// A page cut short by the buffer: use a bigger one next time (up to 64 KiB).
    static func growPageCap(_ cap: UInt32) -> UInt32 { cap < 64 << 10 ? cap * 2 : cap }
}

// MARK: - CRDTs (all throw .syncDisabled when the runtime runs without sync)

public enum CRDT {
    public enum GCounter {
        public static func inc(_ key: some NXBytes, by delta: UInt64 = 1) throws(NXError) {
            try nxCheck(key.withNXBytes { k in nx_raw_crdt_gcounter_inc(nxAddr(k), nxLen(k), delta) })
        }
        public static func value(_ key: some NXBytes) throws(NXError) -> UInt64 {
            try NXDecode.u64(nxFetch { p, c in
                key.withNXBytes { k in nx_raw_crdt_gcounter_value(nxAddr(k), nxLen(k), p, c) }
            }.get())
        }
    }

    public enum PNCounter {
        public static func inc(_ key: some NXBytes, by delta: UInt64 = 1) throws(NXError) {
            try nxCheck(key.withNXBytes { k in nx_raw_crdt_pncounter_inc(nxAddr(k), nxLen(k), delta) })
        }
        public static func dec(_ key: some NXBytes, by delta: UInt64 = 1) throws(NXError) {
            try nxCheck(key.withNXBytes { k in nx_raw_crdt_pncounter_dec(nxAddr(k), nxLen(k), delta) })
        }
        public static func value(_ key: some NXBytes) throws(NXError) -> Int64 {
            Int64(bitPattern: try NXDecode.u64(nxFetch { p, c in
                key.withNXBytes { k in nx_raw_crdt_pncounter_value(nxAddr(k), nxLen(k), p, c) }
            }.get()))
        }
    }

    public enum LWWRegister {
        public static func set(_ key: some NXBytes, _ value: some NXBytes) throws(NXError) {
            try nxCheck(key.withNXBytes { k in
                value.withNXBytes { v in
                    UInt32(v.count) <= NX.maxValueLength
                        ? nx_raw_crdt_lww_set(nxAddr(k), nxLen(k), nxAddr(v), nxLen(v)) : NX.errInternal
                }
            })
        }
        /// The winning value, or nil when the register has none.
        public static func get(_ key: some NXBytes) throws(NXError) -> [UInt8]? {
            try nxOptional(nxFetch { p, c in
                key.withNXBytes { k in nx_raw_crdt_lww_get(nxAddr(k), nxLen(k), p, c) }
            })
        }
    }

    public enum LWWMap {
        public struct Entry: Equatable {
            public let field: String
            public let value: [UInt8]
        }
        public static func set(_ key: some NXBytes, field: some NXBytes, _ value: some NXBytes) throws(NXError) {
            try nxCheck(key.withNXBytes { k in
                field.withNXBytes { f in
                    value.withNXBytes { v in
                        UInt32(v.count) <= NX.maxValueLength
                            ? nx_raw_crdt_lww_map_set(nxAddr(k), nxLen(k), nxAddr(f), nxLen(f), nxAddr(v), nxLen(v))
                            : NX.errInternal
                    }
                }
            })
        }
        public static func remove(_ key: some NXBytes, field: some NXBytes) throws(NXError) {
            try nxCheck(key.withNXBytes { k in
                field.withNXBytes { f in nx_raw_crdt_lww_map_remove(nxAddr(k), nxLen(k), nxAddr(f), nxLen(f)) }
            })
        }
        /// The visible value, or nil when the map/field is absent or tombstoned.
        public static func get(_ key: some NXBytes, field: some NXBytes) throws(NXError) -> [UInt8]? {
            try nxOptional(nxFetch { p, c in
                key.withNXBytes { k in
                    field.withNXBytes { f in
                        nx_raw_crdt_lww_map_get(nxAddr(k), nxLen(k), nxAddr(f), nxLen(f), p, c)
                    }
                }
            })
        }
        public static func contains(_ key: some NXBytes, field: some NXBytes) throws(NXError) -> Bool {
            try nxBool(key.withNXBytes { k in
                field.withNXBytes { f in nx_raw_crdt_lww_map_contains(nxAddr(k), nxLen(k), nxAddr(f), nxLen(f)) }
            })
        }
        /// Visible entries in the host's deterministic field order.
        public static func entries(_ key: some NXBytes) throws(NXError) -> [Entry] {
            try NXDecode.entries(nxFetch { p, c in
                key.withNXBytes { k in nx_raw_crdt_lww_map_entries(nxAddr(k), nxLen(k), p, c) }
            }.get())
        }
    }

    public enum ORSet {
        public static func add(_ key: some NXBytes, _ element: some NXBytes) throws(NXError) {
            try nxCheck(key.withNXBytes { k in
                element.withNXBytes { e in nx_raw_crdt_orset_add(nxAddr(k), nxLen(k), nxAddr(e), nxLen(e)) }
            })
        }
        public static func remove(_ key: some NXBytes, _ element: some NXBytes) throws(NXError) {
            try nxCheck(key.withNXBytes { k in
                element.withNXBytes { e in nx_raw_crdt_orset_remove(nxAddr(k), nxLen(k), nxAddr(e), nxLen(e)) }
            })
        }
        public static func contains(_ key: some NXBytes, _ element: some NXBytes) throws(NXError) -> Bool {
            try nxBool(key.withNXBytes { k in
                element.withNXBytes { e in nx_raw_crdt_orset_contains(nxAddr(k), nxLen(k), nxAddr(e), nxLen(e)) }
            })
        }
        public static func elements(_ key: some NXBytes) throws(NXError) -> [String] {
            let items = try NXDecode.items(nxFetch { p, c in
                key.withNXBytes { k in nx_raw_crdt_orset_elements(nxAddr(k), nxLen(k), p, c) }
            }.get())
            var out: [String] = []
            for item in items { out.append(nxString(item)) }
            return out
        }
    }

    public enum RGA {
        /// One visible element: its id (for `insert(after:)` and `delete(id:)`) and value.
        public struct Entry: Equatable {
            public let id: [UInt8]
            public let value: [UInt8]
            public init(id: [UInt8], value: [UInt8]) {
                self.id = id
                self.value = value
            }
        }
        /// Inserts value after `parent` (nil = at the head) and returns the new element id.
        /// Never retried on ERR_BUFFER_TOO_SMALL (a retry would insert twice).
        public static func insert(_ key: some NXBytes, after parent: [UInt8]?, _ value: some NXBytes) throws(NXError) -> [UInt8] {
            let parentBytes = parent ?? []
            var r: Int32 = 0
            let id = [UInt8](unsafeUninitializedCapacity: Int(NX.rgaIDCap)) { buf, count in
                r = key.withNXBytes { k in
                    parentBytes.withNXBytes { pa in
                        value.withNXBytes { v in
                            UInt32(v.count) <= NX.maxValueLength
                                ? nx_raw_crdt_rga_insert(nxAddr(k), nxLen(k), nxAddr(pa), nxLen(pa),
                                                         nxAddr(v), nxLen(v),
                                                         nxAddr(UnsafeRawPointer(buf.baseAddress)), NX.rgaIDCap)
                                : NX.errInternal
                        }
                    }
                }
                count = r >= 0 && UInt32(r) <= NX.rgaIDCap ? Int(r) : 0
            }
            try nxCheck(r)
            if UInt32(r) > NX.rgaIDCap { throw .malformed }
            return id
        }
        public static func delete(_ key: some NXBytes, id: [UInt8]) throws(NXError) {
            try nxCheck(key.withNXBytes { k in
                id.withNXBytes { i in nx_raw_crdt_rga_delete(nxAddr(k), nxLen(k), nxAddr(i), nxLen(i)) }
            })
        }
        /// Visible values in sequence order.
        public static func values(_ key: some NXBytes) throws(NXError) -> [[UInt8]] {
            try NXDecode.items(nxFetch { p, c in
                key.withNXBytes { k in nx_raw_crdt_rga_values(nxAddr(k), nxLen(k), p, c) }
            }.get())
        }
        /// Visible elements in sequence order with their ids (nx extension
        /// `crdt_rga_entries`): the way to learn the ids of elements other nodes inserted,
        /// to insert after or delete them.
        public static func entries(_ key: some NXBytes) throws(NXError) -> [Entry] {
            try NXDecode.rgaEntries(nxFetch { p, c in
                key.withNXBytes { k in nx_raw_crdt_rga_entries(nxAddr(k), nxLen(k), p, c) }
            }.get())
        }
    }
}

// MARK: - Time, crypto, system, network

public enum Time {
    /// Unix time in milliseconds.
    public static func now() -> UInt64 { nx_raw_time_now() }
    /// Milliseconds relative to the runtime process; for measuring elapsed time.
    public static func monotonic() -> UInt64 { nx_raw_time_monotonic() }
}

public enum Crypto {
    /// `count` secure random bytes (at most 1 MiB per call, as the host allows).
    public static func randomBytes(_ count: Int) throws(NXError) -> [UInt8] {
        guard count >= 0, UInt32(truncatingIfNeeded: count) <= NX.maxRandomLength else { throw .internalError }
        var r: Int32 = 0
        let out = [UInt8](unsafeUninitializedCapacity: count) { buf, n in
            r = nx_raw_random_bytes(nxAddr(UnsafeRawPointer(buf.baseAddress)), UInt32(count))
            n = r == Int32(count) ? count : 0
        }
        try nxCheck(r)
        if r != Int32(count) { throw .malformed }
        return out
    }
    public static func sha256(_ data: some NXBytes) throws(NXError) -> [UInt8] {
        try digest(data, nx_raw_hash_sha256)
    }
    public static func blake3(_ data: some NXBytes) throws(NXError) -> [UInt8] {
        try digest(data, nx_raw_hash_blake3)
    }
    static func digest(_ data: some NXBytes, _ fn: (UInt32, UInt32, UInt32, UInt32) -> Int32) throws(NXError) -> [UInt8] {
        var r: Int32 = 0
        let out = [UInt8](unsafeUninitializedCapacity: 32) { buf, n in
            r = data.withNXBytes { d in fn(nxAddr(d), nxLen(d), nxAddr(UnsafeRawPointer(buf.baseAddress)), 32) }
            n = r == 32 ? 32 : 0
        }
        try nxCheck(r)
        if r != 32 { throw .malformed }
        return out
    }
}

public enum System {
    /// An allowed environment variable (NX_* / NUMAX_*), or nil.
    public static func env(_ name: some NXBytes) throws(NXError) -> String? {
        let r = nxFetch { p, c in name.withNXBytes { n in nx_raw_env_get(nxAddr(n), nxLen(n), p, c) } }
        return try nxOptional(r).map(nxString)
    }
    public static func moduleID() throws(NXError) -> String {
        nxString(try nxFetch { p, c in nx_raw_module_id(p, c) }.get())
    }
    /// Capability names (the host separates them with "\n").
    public static func capabilities() throws(NXError) -> [String] {
        let bytes = try nxFetch { p, c in nx_raw_host_capabilities(p, c) }.get()
        var out: [String] = []
        var start = 0
        for i in 0...bytes.count where i == bytes.count || bytes[i] == 10 {
            if i > start { out.append(nxString(Array(bytes[start..<i]))) }
            start = i + 1
        }
        return out
    }
    /// Event names: non-empty, ASCII letters, digits, '_', '-', '.', ':'.
    public static func emit(_ name: some NXBytes, payload: some NXBytes) throws(NXError) {
        try nxCheck(name.withNXBytes { n in
            payload.withNXBytes { p in nx_raw_event_emit(nxAddr(n), nxLen(n), nxAddr(p), nxLen(p)) }
        })
    }
    public static func emit(_ name: some NXBytes) throws(NXError) {
        try emit(name, payload: [UInt8]())
    }
    /// Traps the module with a host-visible message.
    public static func abort(_ message: some NXBytes) -> Never {
        message.withNXBytes { m in nx_raw_abort(nxAddr(m), nxLen(m)) }
        fatalError() // not reached: the host traps inside abort
    }
}

public enum Net {
    public struct Peer: Equatable {
        public let address: String
        public let nodeID: [UInt8]
    }
    public static func nodeID() throws(NXError) -> [UInt8] {
        try nxFetch { p, c in nx_raw_net_node_id(p, c) }.get()
    }
    public static func peers() throws(NXError) -> [Peer] {
        try NXDecode.peers(nxFetch { p, c in nx_raw_net_peers(p, c) }.get())
    }
}

/// Sends a pending print() line that did not end in "\n" to the host log
/// (print() output is line-buffered by putchar in nx_embedded_rt.c).
@_extern(c, "nx_rt_flush_print")
func nx_rt_flush_print()

public func nxFlushPrint() { nx_rt_flush_print() }
