import NXStore

/// Decoded CRDT state of one type, by key (the in-memory registry). Entries are loaded from
/// the store on first use; every change is written to the store before the engine's lock is
/// released, so an entry can be dropped at any time between operations.
final class TypedCache<T: StoredCRDT> {
    struct Slot {
        var state: T
        /// Approximate memory: record bytes loaded plus record bytes written since.
        var bytes: Int
        var lastUse: UInt64
    }

    var items: [[UInt8]: Slot] = [:]
}

/// The registry of decoded CRDT state, bounded by `maxKeys` and `maxBytes` (approximate).
final class StateCache {
    let gcounters = TypedCache<GCounter>()
    let pncounters = TypedCache<PNCounter>()
    let registers = TypedCache<LWWRegister>()
    let orsets = TypedCache<ORSet>()
    let maps = TypedCache<LWWMap>()
    let rgas = TypedCache<RGA>()

    let maxKeys: Int
    let maxBytes: Int
    private(set) var keyCount = 0
    private(set) var byteCount = 0
    private var clock: UInt64 = 0

    init(maxKeys: Int, maxBytes: Int) {
        self.maxKeys = max(1, maxKeys)
        self.maxBytes = max(1, maxBytes)
    }

    /// Runs `body` on the state of `key`, loading it from `store` first if needed. Changes
    /// made by `body` stay in the cache; the caller writes the matching records (or calls
    /// `invalidate` if it cannot).
    func with<T: StoredCRDT, R>(_ cache: TypedCache<T>, _ key: [UInt8], _ store: Store,
                                _ body: (inout T) throws -> R) throws -> R {
        clock += 1
        if cache.items[key] == nil {
            let (state, bytes) = try load(T.self, key, store)
            cache.items[key] = TypedCache<T>.Slot(state: state, bytes: bytes, lastUse: clock)
            keyCount += 1
            byteCount += bytes
        } else {
            cache.items[key]!.lastUse = clock
        }
        return try body(&cache.items[key]!.state)
    }

    /// Accounts `bytes` more to a cached entry (records written for it).
    func grow<T>(_ cache: TypedCache<T>, _ key: [UInt8], by bytes: Int) {
        guard cache.items[key] != nil else { return }
        cache.items[key]!.bytes += bytes
        byteCount += bytes
    }

    private func load<T: StoredCRDT>(_ type: T.Type, _ key: [UInt8], _ store: Store) throws -> (T, Int) {
        var state = T()
        let prefix = StoreKeys.crdt(T.kind, key)
        var bytes = 128
        for (k, v) in try store.scan(prefix: prefix, limit: Int.max) {
            _ = try state.mergeRecord(subkey: Array(k[prefix.count...]), value: v)
            bytes += k.count + v.count + 64
        }
        return (state, bytes)
    }

    func invalidate(_ kind: CRDTKind, _ key: [UInt8]) {
        switch kind {
        case .gcounter: drop(gcounters, key)
        case .pncounter: drop(pncounters, key)
        case .lwwRegister: drop(registers, key)
        case .orset: drop(orsets, key)
        case .lwwMap: drop(maps, key)
        case .rga: drop(rgas, key)
        }
    }

    private func drop<T>(_ cache: TypedCache<T>, _ key: [UInt8]) {
        if let s = cache.items.removeValue(forKey: key) {
            keyCount -= 1
            byteCount -= s.bytes
        }
    }

    func removeAll() {
        for kind in CRDTKind.allCases { removeAll(kind) }
        keyCount = 0
        byteCount = 0
    }

    private func removeAll(_ kind: CRDTKind) {
        switch kind {
        case .gcounter: gcounters.items.removeAll()
        case .pncounter: pncounters.items.removeAll()
        case .lwwRegister: registers.items.removeAll()
        case .orset: orsets.items.removeAll()
        case .lwwMap: maps.items.removeAll()
        case .rga: rgas.items.removeAll()
        }
    }

    /// Drops least recently used entries until both counts are at most 3/4 of their bounds
    /// (so eviction work is amortised). Called only between operations, never while an
    /// uncommitted change sits in the cache.
    func evictIfNeeded() {
        guard keyCount > maxKeys || byteCount > maxBytes else { return }
        var all: [(use: UInt64, kind: CRDTKind, key: [UInt8], bytes: Int)] = []
        func collect<T>(_ c: TypedCache<T>, _ kind: CRDTKind) {
            for (k, s) in c.items { all.append((s.lastUse, kind, k, s.bytes)) }
        }
        collect(gcounters, .gcounter)
        collect(pncounters, .pncounter)
        collect(registers, .lwwRegister)
        collect(orsets, .orset)
        collect(maps, .lwwMap)
        collect(rgas, .rga)
        all.sort { $0.use < $1.use }
        for e in all {
            if keyCount <= maxKeys * 3 / 4 && byteCount <= maxBytes * 3 / 4 { break }
            invalidate(e.kind, e.key)
        }
    }
}
