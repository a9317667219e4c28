import NXStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The replicated state of one node: the six CRDTs kept in the node's store, the durable op
/// log, and the transport-independent sync engine.
///
/// Two sides use it, from different threads (one lock serialises them):
/// - the host (guest thread) calls the CRDT functions (`gcounterIncrement`, `lwwSet`, ...);
///   each local operation is applied, logged and persisted in one atomic store write before
///   the call returns, then queued for push;
/// - the transport feeds received messages to `handle(_:from:now:)`, calls `tick(now:)`
///   periodically (every 10-50 ms; anti-entropy and retries run on their own intervals inside
///   it), collects `localOperationsOutbound()` when `onLocalOperation` fires (or on the next
///   tick), keeps `setPeers(_:)` up to date, and sends every returned `Outbound`.
///
/// The engine never reads a clock for protocol timing (the transport passes `now`), and uses
/// the wall clock only for LWW timestamps (`SyncConfiguration.wallClock`).
public final class ReplicationEngine: @unchecked Sendable {
    /// The store holding the state (also the module's datastore; the engine uses `__nx/` only).
    /// The engine does not close it.
    public let store: Store
    public let configuration: SyncConfiguration
    /// This node's id.
    public let localNode: NodeId

    let lock = Lock()
    /// Every known origin's applied sequence and retained log (mirror of `__nx/sync/vv/`).
    var origins: [NodeId: OriginState] = [:]
    let cache: StateCache
    var buffer = CausalBuffer()
    /// Encoded local operations waiting to be pushed.
    var pushQueue: [[UInt8]] = []
    var pushQueueHead = 0
    var pushQueueBytes = 0
    var peerList: [SyncPeer] = []
    var rng: SeededRandom
    var nextAntiEntropy: UInt64?
    var digestWindowStart = 0
    var inbound: StateSession?
    var serveTokens: Double
    var lastServeRefill: UInt64?
    var stats = SyncStatistics()
    let wallClock: @Sendable () -> UInt64
    private var localOperationHandler: ((SyncOperation) -> Void)?

    /// Opens the replicated state stored in `store`: loads (or creates and persists) the node
    /// id and the version vector. CRDT state is loaded lazily, per key, on first use.
    public init(store: Store, configuration: SyncConfiguration = .init()) throws {
        self.store = store
        self.configuration = configuration
        cache = StateCache(maxKeys: configuration.maxCachedKeys, maxBytes: configuration.maxCachedBytes)
        rng = SeededRandom(seed: try configuration.randomSeed ?? SecureRandom.u64())
        wallClock = configuration.wallClock ?? { ReplicationEngine.unixMilliseconds() }
        serveTokens = Double(configuration.stateServeBytesPerSecond)
        localNode = try Self.loadOrCreateNodeID(store, configuration.newNodeID)
        for (k, v) in try store.scan(prefix: StoreKeys.versionVectorPrefix, limit: Int.max) {
            guard let origin = NodeId(hex: String(decoding: k[StoreKeys.versionVectorPrefix.count...], as: UTF8.self)) else {
                throw DecodeError.invalid(what: "version vector key", offset: 0, reason: "\(String(decoding: k, as: UTF8.self)) is not an origin")
            }
            origins[origin] = try OriginState(decoding: v)
        }
        if origins[localNode] == nil { origins[localNode] = OriginState() }
    }

    private static func loadOrCreateNodeID(_ store: Store, _ fresh: NodeId?) throws -> NodeId {
        if let bytes = try store.get(StoreKeys.nodeID) {
            var r = ByteReader(bytes)
            try r.version("node id record", expected: 1)
            let id = try r.node("node id")
            try r.expectEnd("node id record")
            return id
        }
        let id = try fresh ?? NodeId.random()
        var w = ByteWriter()
        w.u8(1)
        w.node(id)
        var batch = WriteBatch()
        batch.put(StoreKeys.nodeID, w.bytes)
        try store.write(batch)
        return id
    }

    static func unixMilliseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_REALTIME, &t)
        return UInt64(t.tv_sec) * 1000 + UInt64(t.tv_nsec) / 1_000_000
    }

    /// Called after every committed local operation, outside the engine's lock (so it may call
    /// `localOperationsOutbound()`): the transport's wake-up, and the tests' record of
    /// acknowledged operations. Set it before the engine is shared between threads.
    public var onLocalOperation: ((SyncOperation) -> Void)? {
        get { lock.withLock { localOperationHandler } }
        set { lock.withLock { localOperationHandler = newValue } }
    }

    // MARK: - Host API: counters

    public func gcounterIncrement(_ key: [UInt8], by delta: UInt64) throws {
        try Self.check(key: key)
        guard delta > 0 else { return }
        try local(cache.gcounters, key) { c, id in .gcounter(total: try c.total(afterAdding: delta, at: id.origin)) }
    }

    public func gcounterValue(_ key: [UInt8]) throws -> UInt64 {
        try Self.check(key: key)
        return try read(cache.gcounters, key) { $0.value }
    }

    /// Adds `delta` (negative: subtracts).
    public func pncounterAdd(_ key: [UInt8], _ delta: Int64) throws {
        try Self.check(key: key)
        guard delta != 0 else { return }
        try local(cache.pncounters, key) { c, id in
            let t = try c.totals(afterAdding: delta, at: id.origin)
            return .pncounter(positive: t.positive, negative: t.negative)
        }
    }

    public func pncounterValue(_ key: [UInt8]) throws -> Int64 {
        try Self.check(key: key)
        return try read(cache.pncounters, key) { $0.value }
    }

    // MARK: LWW-Register

    public func lwwSet(_ key: [UInt8], _ value: [UInt8]) throws {
        try Self.check(key: key)
        try Self.check(value.count, SyncLimits.maxValueBytes, "value")
        let now = wallClock()
        try local(cache.registers, key) { r, _ in .lwwSet(timestamp: r.nextTimestamp(now: now), value: value) }
    }

    public func lwwGet(_ key: [UInt8]) throws -> [UInt8]? {
        try Self.check(key: key)
        return try read(cache.registers, key) { $0.value }
    }

    // MARK: LWW-Map

    public func lwwMapSet(_ key: [UInt8], field: [UInt8], value: [UInt8]) throws {
        try Self.check(key: key)
        try Self.check(field.count, SyncLimits.maxFieldBytes, "field")
        try Self.check(value.count, SyncLimits.maxValueBytes, "value")
        let now = wallClock()
        try local(cache.maps, key) { m, _ in
            .lwwMapSet(field: field, timestamp: m.nextTimestamp(field: field, now: now), value: value)
        }
    }

    /// Writes a tombstone for `field` (also when the field is absent, so that a concurrent or
    /// older write elsewhere does not survive this remove).
    public func lwwMapRemove(_ key: [UInt8], field: [UInt8]) throws {
        try Self.check(key: key)
        try Self.check(field.count, SyncLimits.maxFieldBytes, "field")
        let now = wallClock()
        try local(cache.maps, key) { m, _ in .lwwMapRemove(field: field, timestamp: m.nextTimestamp(field: field, now: now)) }
    }

    public func lwwMapGet(_ key: [UInt8], field: [UInt8]) throws -> [UInt8]? {
        try Self.check(key: key)
        return try read(cache.maps, key) { $0.get(field) }
    }

    /// Visible entries in byte order of the field.
    public func lwwMapEntries(_ key: [UInt8]) throws -> [(field: [UInt8], value: [UInt8])] {
        try Self.check(key: key)
        return try read(cache.maps, key) { $0.entries }
    }

    // MARK: ORSet

    public func orsetAdd(_ key: [UInt8], _ element: [UInt8]) throws {
        try Self.check(key: key)
        try Self.check(element.count, SyncLimits.maxValueBytes, "element")
        try local(cache.orsets, key) { _, _ in .orsetAdd(element: element) }
    }

    /// Removes the add-tags of `element` observed here; a no-op when there are none.
    public func orsetRemove(_ key: [UInt8], _ element: [UInt8]) throws {
        try Self.check(key: key)
        try Self.check(element.count, SyncLimits.maxValueBytes, "element")
        try local(cache.orsets, key) { s, _ in
            let tags = s.observedTags(element)
            try Self.check(tags.count, SyncLimits.maxObservedTags, "observed add-tag count")
            return tags.isEmpty ? nil : .orsetRemove(element: element, observed: tags)
        }
    }

    public func orsetContains(_ key: [UInt8], _ element: [UInt8]) throws -> Bool {
        try Self.check(key: key)
        return try read(cache.orsets, key) { $0.contains(element) }
    }

    /// Visible elements in byte order.
    public func orsetElements(_ key: [UInt8]) throws -> [[UInt8]] {
        try Self.check(key: key)
        return try read(cache.orsets, key) { $0.visibleElements }
    }

    // MARK: RGA

    /// Inserts `value` after the element `parent` (a 16-byte id from an earlier insert; nil:
    /// at the head) and returns the new element's 16-byte id. Throws
    /// `ReplicationLookupError.notFound` if `parent` is not an element of this RGA here.
    public func rgaInsert(_ key: [UInt8], after parent: [UInt8]?, value: [UInt8]) throws -> [UInt8] {
        try Self.check(key: key)
        try Self.check(value.count, SyncLimits.maxValueBytes, "value")
        let id = try local(cache.rgas, key) { rga, _ in
            var parentID: OpId?
            if let p = parent {
                guard let resolved = rga.resolve(compactId: p) else { throw ReplicationLookupError.notFound }
                parentID = resolved
            }
            return .rgaInsert(parent: parentID, lamport: rga.nextLamport, value: value)
        }
        return RGA.compactId(of: id!)
    }

    /// Tombstones the element `id`; throws `ReplicationLookupError.notFound` if unknown.
    public func rgaDelete(_ key: [UInt8], id: [UInt8]) throws {
        try Self.check(key: key)
        try local(cache.rgas, key) { rga, _ in
            guard let target = rga.resolve(compactId: id) else { throw ReplicationLookupError.notFound }
            return rga.elements[target]!.deleted ? nil : .rgaDelete(target: target)
        }
    }

    /// Visible values in sequence order.
    public func rgaValues(_ key: [UInt8]) throws -> [[UInt8]] {
        try Self.check(key: key)
        return try read(cache.rgas, key) { $0.values }
    }

    /// Visible element ids (16 bytes each) in sequence order, parallel to `rgaValues`.
    public func rgaIDs(_ key: [UInt8]) throws -> [[UInt8]] {
        try Self.check(key: key)
        return try read(cache.rgas, key) { $0.order.map(RGA.compactId(of:)) }
    }

    /// Visible elements in sequence order, each with its 16-byte id (as `rgaInsert` returns
    /// it and `rgaInsert`/`rgaDelete` accept it) and its value. One read under the lock:
    /// calling `rgaIDs` and `rgaValues` separately could let a remote operation land in
    /// between and pair an id with another element's value.
    public func rgaEntries(_ key: [UInt8]) throws -> [(id: [UInt8], value: [UInt8])] {
        try Self.check(key: key)
        return try read(cache.rgas, key) { rga in
            rga.order.map { (id: RGA.compactId(of: $0), value: rga.elements[$0]!.value) }
        }
    }

    // MARK: Identity and peers

    /// This node's id as guests see it (`net_node_id`): 32 lowercase hex digits as bytes.
    public var nodeID: [UInt8] { localNode.hexBytes }

    /// Live peers (as last given to `setPeers`): address and node id (hex digits as bytes).
    public func peers() -> [(address: String, nodeID: [UInt8])] {
        lock.withLock { peerList.map { (address: $0.address, nodeID: $0.id.hexBytes) } }
    }

    // MARK: Introspection

    /// Origin → highest applied sequence (every origin's operations 1...that are in the state).
    public func versionVector() -> [NodeId: UInt64] {
        lock.withLock { origins.filter { $0.value.applied > 0 }.mapValues { $0.applied } }
    }

    /// Origin → (applied, first retained log sequence - 1, retained log bytes).
    public func logStatus() -> [NodeId: (applied: UInt64, floor: UInt64, bytes: Int)] {
        lock.withLock { origins.mapValues { (applied: $0.applied, floor: $0.floor, bytes: $0.logBytes) } }
    }

    public var statistics: SyncStatistics { lock.withLock { stats } }

    /// Operations waiting in the causal buffer.
    public var bufferedOperationCount: Int { lock.withLock { buffer.count } }

    /// The canonical whole-state encoding of one CRDT (what replicas compare to check
    /// convergence; the encoding of an empty state if the key was never written).
    public func encodedState(_ kind: CRDTKind, _ key: [UInt8]) throws -> [UInt8] {
        try Self.check(key: key)
        return try lock.withLock {
            switch kind {
            case .gcounter: return try withState(cache.gcounters, key) { $0.encode() }
            case .pncounter: return try withState(cache.pncounters, key) { $0.encode() }
            case .lwwRegister: return try withState(cache.registers, key) { $0.encode() }
            case .orset: return try withState(cache.orsets, key) { $0.encode() }
            case .lwwMap: return try withState(cache.maps, key) { $0.encode() }
            case .rga: return try withState(cache.rgas, key) { $0.encode() }
            }
        }
    }

    /// Keys that have state of `kind`, in byte order.
    public func keys(of kind: CRDTKind) throws -> [[UInt8]] {
        let prefix = StoreKeys.crdtPrefix + Array(kind.storeName.utf8) + [UInt8(ascii: "/")]
        var keys: [[UInt8]] = []
        try store.visit(prefix: prefix, after: nil) { k, _ in
            let rest = k.count - prefix.count
            guard rest >= 2 else { return true }
            let length = Int(k[prefix.count]) << 8 | Int(k[prefix.count + 1])
            guard rest >= 2 + length else { return true }
            let key = [UInt8](UnsafeRawBufferPointer(rebasing: k[(prefix.count + 2)..<(prefix.count + 2 + length)]))
            if keys.last != key { keys.append(key) }
            return true
        }
        return keys.sorted { $0.lexicographicallyPrecedes($1) }
    }

    // MARK: - Local operations

    static func check(key: [UInt8]) throws { try check(key.count, SyncLimits.maxKeyBytes, "key") }

    static func check(_ size: Int, _ limit: Int, _ what: String) throws {
        if size > limit { throw CRDTError.tooLarge(what: what, size: size, limit: limit) }
    }

    func withState<T: StoredCRDT, R>(_ typed: TypedCache<T>, _ key: [UInt8], _ body: (inout T) throws -> R) throws -> R {
        try cache.with(typed, key, store, body)
    }

    private func read<T: StoredCRDT, R>(_ typed: TypedCache<T>, _ key: [UInt8], _ body: (T) throws -> R) throws -> R {
        try lock.withLock {
            defer { cache.evictIfNeeded() }
            return try withState(typed, key) { try body($0) }
        }
    }

    /// Creates, applies, logs and persists one local operation (one atomic store write), then
    /// queues it for push. `prepare` sees the current state and the new operation's id and
    /// returns its body, or nil for a no-op. Returns the id (nil for a no-op).
    @discardableResult
    private func local<T: StoredCRDT>(_ typed: TypedCache<T>, _ key: [UInt8],
                                      _ prepare: (T, OpId) throws -> SyncOperation.Body?) throws -> OpId? {
        let (op, handler): (SyncOperation?, ((SyncOperation) -> Void)?) = try lock.withLock {
            var mine = origins[localNode]!
            let id = OpId(origin: localNode, seq: mine.applied + 1)
            var batch = WriteBatch()
            var written = 0
            let op: SyncOperation? = try withState(typed, key) { state in
                guard let body = try prepare(state, id) else { return nil }
                let op = SyncOperation(id: id, key: key, body: body)
                for change in state.apply(op) {
                    batch.put(StoreKeys.crdt(T.kind, key) + change.subkey, change.value)
                    written += change.value.count
                }
                return op
            }
            guard let op else { return (nil, nil) }
            let encoded = op.encode()
            appendLog(op.id, encoded, &mine, &batch)
            do {
                try store.write(batch)
            } catch {
                cache.invalidate(T.kind, key)
                throw error
            }
            origins[localNode] = mine
            cache.grow(typed, key, by: written)
            stats.localOperations += 1
            enqueuePush(encoded)
            trimLogs()
            cache.evictIfNeeded()
            return (op, localOperationHandler)
        }
        if let op, let handler { handler(op) }
        return op?.id
    }

    /// Adds the log entry of operation `id` and the origin's updated `vv` record to `batch`.
    func appendLog(_ id: OpId, _ encoded: [UInt8], _ origin: inout OriginState, _ batch: inout WriteBatch) {
        batch.put(StoreKeys.log(id.origin, id.seq), encoded)
        origin.applied = id.seq
        origin.logBytes += encoded.count
        batch.put(StoreKeys.versionVector(id.origin), origin.encode())
    }

    private func enqueuePush(_ encoded: [UInt8]) {
        pushQueue.append(encoded)
        pushQueueBytes += encoded.count
        while pushQueue.count - pushQueueHead > configuration.maxPushQueueOps
            || (pushQueueBytes > configuration.maxPushQueueBytes && pushQueue.count - pushQueueHead > 1) {
            pushQueueBytes -= pushQueue[pushQueueHead].count
            pushQueue[pushQueueHead] = []
            pushQueueHead += 1
            stats.pushQueueDrops += 1
        }
        if pushQueueHead > 1024 && pushQueueHead * 2 > pushQueue.count {
            pushQueue.removeFirst(pushQueueHead)
            pushQueueHead = 0
        }
    }

    // MARK: - Log retention

    /// Deletes the oldest log entries of origins over `maxLogOpsPerOrigin` or
    /// `maxLogBytesPerOrigin`, then of the largest origins while the total is over
    /// `maxLogBytesTotal`. One atomic write (entries and `vv` records together); a failure is
    /// recorded and retried after the next operation.
    func trimLogs() {
        let maxOps = UInt64(max(1, configuration.maxLogOpsPerOrigin))
        var total = 0
        var over = false
        for (_, o) in origins {
            total += o.logBytes
            if o.retained > maxOps || o.logBytes > configuration.maxLogBytesPerOrigin { over = true }
        }
        guard over || total > configuration.maxLogBytesTotal else { return }
        var changed: [NodeId: OriginState] = [:]
        var batch = WriteBatch()
        var trimmed = 0
        /// Deletes the oldest retained entry of `origin`; returns the bytes accounted off.
        func trimOne(_ origin: NodeId) -> Int {
            var o = changed[origin] ?? origins[origin]!
            guard o.floor < o.applied else { return 0 }
            let key = StoreKeys.log(origin, o.floor + 1)
            let size = (try? store.withValue(key) { $0.count }) ?? 0
            batch.delete(key)
            o.floor += 1
            let before = o.logBytes
            o.logBytes = o.floor == o.applied ? 0 : max(0, o.logBytes - size)
            changed[origin] = o
            trimmed += 1
            return before - o.logBytes
        }
        func state(_ origin: NodeId) -> OriginState { changed[origin] ?? origins[origin]! }
        for origin in origins.keys {
            while state(origin).floor < state(origin).applied,
                  state(origin).retained > maxOps || state(origin).logBytes > configuration.maxLogBytesPerOrigin {
                total -= trimOne(origin)
            }
        }
        while total > configuration.maxLogBytesTotal {
            var largest: NodeId?
            var largestBytes = 0
            for origin in origins.keys.sorted() {
                let o = state(origin)
                if o.floor < o.applied && o.logBytes > largestBytes {
                    largest = origin
                    largestBytes = o.logBytes
                }
            }
            guard let l = largest else { break }
            total -= trimOne(l)
        }
        for (origin, o) in changed { batch.put(StoreKeys.versionVector(origin), o.encode()) }
        do {
            try store.write(batch)
            for (origin, o) in changed { origins[origin] = o }
            stats.logEntriesTrimmed += trimmed
        } catch {
            record(error)
        }
    }

    func record(_ error: Error) {
        stats.storeErrors += 1
        stats.lastError = "\(error)"
    }
}

/// An inbound state transfer (this node pulling a peer's state).
struct StateSession {
    var peer: NodeId
    var id: UInt64
    /// Name of the last record received (relative to `__nx/crdt/`); empty at the start.
    var cursor: [UInt8] = []
    /// Pointwise minimum of the version vectors of the chunks received so far.
    var versionVector: [NodeId: UInt64]?
    var sentAt: UInt64
    var attempts = 1
}
