import NXStore

/// The sync protocol: what the transport calls.
///
/// - Push: each local operation is queued; `localOperationsOutbound()` (and every `tick`)
///   packs the queue into ops messages and sends each to `fanout` random peers. A node that
///   receives operations new to it forwards them once more to `fanout` peers while their hop
///   count is below `forwardHops`.
/// - Anti-entropy (Scuttlebutt reconciliation): every `antiEntropyIntervalMs` a node sends its
///   digest (per origin: applied sequence and log floor) to random peers. The receiver answers
///   with the operations the sender lacks (from its log, up to `antiEntropyReplyBytes`), and
///   with its own digest if it lacks something itself or the sender is behind its log floor,
///   so that only missing operations travel, in both directions.
/// - State transfer: a node that needs operations a peer no longer retains (its applied
///   sequence is below the peer's log floor) pulls the peer's whole CRDT state in chunks
///   (`stateRequest` → `stateChunk`, one request outstanding, retried on timeout) and merges
///   it record by record; at the end it adopts the pointwise minimum of the chunks' version
///   vectors (what every chunk's state included), and continues with operations.
extension ReplicationEngine {
    /// The live members of the cluster (from the transport's membership). The local node is
    /// ignored if present.
    public func setPeers(_ peers: [SyncPeer]) {
        lock.withLock {
            var seen = Set<NodeId>()
            peerList = peers.filter { $0.id != localNode && seen.insert($0.id).inserted }
        }
    }

    /// Handles one message from `peer` and returns the messages to send in response. Malformed
    /// input is counted (`statistics.malformedMessages`) and dropped.
    public func handle(_ message: [UInt8], from peer: NodeId, now: UInt64) -> [Outbound] {
        lock.withLock {
            stats.messagesReceived += 1
            let decoded: Message
            do {
                decoded = try Message(decoding: message)
            } catch {
                stats.malformedMessages += 1
                return []
            }
            var out: [Outbound] = []
            switch decoded {
            case let .ops(hops, ops):
                receiveOps(ops, hops: hops, from: peer, now: now, &out)
            case let .digest(wantsReply, complete, entries):
                receiveDigest(entries, wantsReply: wantsReply, complete: complete, from: peer, now: now, &out)
            case let .stateRequest(session, cursor):
                if let chunk = serveState(session: session, cursor: cursor, now: now) {
                    out.append(Outbound(to: peer, payload: chunk))
                }
            case let .stateChunk(chunk):
                receiveStateChunk(chunk, from: peer, now: now, &out)
            }
            cache.evictIfNeeded()
            return sent(out)
        }
    }

    /// Runs the timers: pushes queued local operations, sends anti-entropy digests when due,
    /// retries or abandons a stalled state transfer, expires old buffered operations. Call it
    /// every 10-50 ms.
    public func tick(now: UInt64) -> [Outbound] {
        lock.withLock {
            var out = pushQueued()
            if let due = nextAntiEntropy, now < due {
                // not yet
            } else {
                let interval = max(1, configuration.antiEntropyIntervalMs)
                if nextAntiEntropy == nil {
                    // Spread the nodes' rounds over the interval.
                    nextAntiEntropy = now &+ rng.next() % interval
                } else {
                    nextAntiEntropy = now &+ interval
                    let digest = makeDigest(wantsReply: true)
                    for p in choosePeers(configuration.antiEntropyPeers, excluding: nil) {
                        out.append(Outbound(to: p, payload: digest))
                        stats.digestsSent += 1
                    }
                }
            }
            if var s = inbound, now >= s.sentAt &+ configuration.stateRequestTimeoutMs {
                if s.attempts >= configuration.stateRequestRetries {
                    inbound = nil
                    stats.stateTransfersAbandoned += 1
                } else {
                    s.attempts += 1
                    s.sentAt = now
                    inbound = s
                    out.append(Outbound(to: s.peer, payload: Message.stateRequest(session: s.id, cursor: s.cursor).encode()))
                }
            }
            if buffer.count > 0 && now > configuration.bufferedOpTTLMs {
                stats.bufferExpired += buffer.expire(receivedBefore: now - configuration.bufferedOpTTLMs)
            }
            return sent(out)
        }
    }

    /// The queued local operations, packed and addressed to `fanout` random peers. Call it when
    /// `onLocalOperation` fires (or rely on `tick`).
    public func localOperationsOutbound() -> [Outbound] {
        lock.withLock { sent(pushQueued()) }
    }

    /// Local operations waiting to be pushed.
    public var pushQueueCount: Int { lock.withLock { pushQueue.count - pushQueueHead } }

    // MARK: - Push

    private func sent(_ out: [Outbound]) -> [Outbound] {
        stats.messagesSent += out.count
        for o in out { stats.bytesSent += o.payload.count }
        return out
    }

    private func pushQueued() -> [Outbound] {
        guard pushQueue.count > pushQueueHead else { return [] }
        let queued = pushQueue[pushQueueHead...]
        pushQueue.removeAll(keepingCapacity: true)
        pushQueueHead = 0
        pushQueueBytes = 0
        let targets = choosePeers(configuration.fanout, excluding: nil)
        guard !targets.isEmpty else { return [] }  // no peers: anti-entropy delivers later
        var packer = OpsPacker(target: configuration.targetMessageBytes, hops: 0)
        for op in queued { packer.add(op) }
        let messages = packer.finish()
        return targets.flatMap { t in messages.map { Outbound(to: t, payload: $0) } }
    }

    /// Up to `count` distinct random peers.
    func choosePeers(_ count: Int, excluding: NodeId?) -> [NodeId] {
        var ids = peerList.map(\.id).filter { $0 != excluding }
        let n = min(count, ids.count)
        guard n > 0 else { return [] }
        for i in 0..<n { ids.swapAt(i, i + rng.below(ids.count - i)) }
        return Array(ids[..<n])
    }

    // MARK: - Receiving operations

    private func receiveOps(_ ops: [SyncOperation], hops: UInt8, from peer: NodeId, now: UInt64, _ out: inout [Outbound]) {
        let fresh = ingest(ops, now: now)
        // Anti-entropy replies carry hop count 255: never forwarded.
        guard !fresh.isEmpty, hops < UInt8.max - 1, Int(hops) < configuration.forwardHops else { return }
        var packer = OpsPacker(target: configuration.targetMessageBytes, hops: hops + 1)
        for e in fresh { packer.add(e) }
        let messages = packer.finish()
        for t in choosePeers(configuration.fanout, excluding: peer) {
            for m in messages { out.append(Outbound(to: t, payload: m)) }
        }
    }

    /// Buffers the operations not applied yet and applies whatever became applicable. Returns
    /// the encodings of the operations that were new here.
    func ingest(_ ops: [SyncOperation], now: UInt64) -> [[UInt8]] {
        var fresh: [[UInt8]] = []
        var freshIDs: [OpId] = []
        for op in ops {
            if op.id.seq <= (origins[op.id.origin]?.applied ?? 0) || buffer.contains(op.id) {
                stats.duplicateOperations += 1
                continue
            }
            let encoded = op.encode()
            let entry = CausalBuffer.Entry(op: op, encoded: encoded, receivedAt: now)
            // An operation that applies at once passes even a full buffer (it leaves it in the
            // drain below), so the bound never stops progress.
            let appliesNow = op.id.seq == (origins[op.id.origin]?.applied ?? 0) + 1 && canApply(op)
            let (added, evicted) = buffer.insert(entry, maxOps: configuration.maxBufferedOps, maxBytes: configuration.maxBufferedBytes,
                                                 force: appliesNow) { [origins] in origins[$0]?.applied ?? 0 }
            stats.bufferOverflowDrops += evicted
            if added {
                fresh.append(encoded)
                freshIDs.append(op.id)
                if appliesNow && buffer.count > configuration.maxBufferedOps { drainBuffer() }
            } else {
                stats.bufferOverflowDrops += 1
            }
        }
        if !fresh.isEmpty { drainBuffer() }
        stats.bufferedOperations += freshIDs.filter { buffer.contains($0) }.count
        return fresh
    }

    /// Applies every buffered operation whose turn has come and whose dependency is present,
    /// repeatedly (one application can unblock others), in atomic store writes of up to 256
    /// operations (state records, log entries and `vv` records together).
    func drainBuffer() {
        guard buffer.count > 0 else { return }
        var batch = WriteBatch()
        var batchOps = 0
        var batchBytes = 0
        var snapshot = origins
        var touched: [(CRDTKind, [UInt8])] = []
        var failed = false
        func commit() {
            guard batchOps > 0 else { return }
            do {
                try store.write(batch)
                stats.remoteOperationsApplied += batchOps
                snapshot = origins
            } catch {
                // The operations are dropped here and fetched again by anti-entropy.
                record(error)
                origins = snapshot
                for (kind, key) in touched { cache.invalidate(kind, key) }
                failed = true
            }
            batch = WriteBatch()
            batchOps = 0
            batchBytes = 0
            touched.removeAll()
        }
        var progress = true
        while progress && !failed {
            progress = false
            for origin in buffer.origins.sorted() {
                while !failed, let entry = buffer.peek(origin, (origins[origin]?.applied ?? 0) + 1) {
                    guard canApply(entry.op) else { break }
                    buffer.remove(origin, entry.op.id.seq)
                    do {
                        batchBytes += try applyRemote(entry.op, entry.encoded, &batch)
                    } catch {
                        record(error)
                        break
                    }
                    touched.append((entry.op.kind, entry.op.key))
                    batchOps += 1
                    progress = true
                    if batchOps >= 256 || batchBytes >= 8 << 20 { commit() }
                }
            }
        }
        commit()
        trimLogs()
    }

    func canApply(_ op: SyncOperation) -> Bool {
        guard op.kind == .rga else { return true }
        do {
            return try withState(cache.rgas, op.key) { $0.canApply(op) }
        } catch {
            record(error)
            return false
        }
    }

    /// Applies a remote operation to the cached state and adds its records, log entry and
    /// `vv` record to `batch`. Returns the bytes added.
    private func applyRemote(_ op: SyncOperation, _ encoded: [UInt8], _ batch: inout WriteBatch) throws -> Int {
        let written: Int
        switch op.kind {
        case .gcounter: written = try applyTo(cache.gcounters, op, &batch)
        case .pncounter: written = try applyTo(cache.pncounters, op, &batch)
        case .lwwRegister: written = try applyTo(cache.registers, op, &batch)
        case .orset: written = try applyTo(cache.orsets, op, &batch)
        case .lwwMap: written = try applyTo(cache.maps, op, &batch)
        case .rga: written = try applyTo(cache.rgas, op, &batch)
        }
        var o = origins[op.id.origin] ?? OriginState()
        appendLog(op.id, encoded, &o, &batch)
        origins[op.id.origin] = o
        return written + encoded.count
    }

    private func applyTo<T: StoredCRDT>(_ typed: TypedCache<T>, _ op: SyncOperation, _ batch: inout WriteBatch) throws -> Int {
        let written = try withState(typed, op.key) { state -> Int in
            var n = 0
            for change in state.apply(op) {
                batch.put(StoreKeys.crdt(T.kind, op.key) + change.subkey, change.value)
                n += change.value.count
            }
            return n
        }
        cache.grow(typed, op.key, by: written)
        return written
    }

    // MARK: - Anti-entropy

    func makeDigest(wantsReply: Bool) -> [UInt8] {
        var entries = origins.compactMap { o, s in
            s.applied > 0 ? DigestEntry(origin: o, applied: s.applied, floor: s.floor) : nil
        }.sorted { $0.origin < $1.origin }
        var complete = true
        let limit = max(1, configuration.maxDigestOrigins)
        if entries.count > limit {
            let start = digestWindowStart % entries.count
            entries = (0..<limit).map { entries[(start + $0) % entries.count] }
            digestWindowStart = start + limit
            complete = false
        }
        return Message.digest(wantsReply: wantsReply, complete: complete, entries: entries).encode()
    }

    private func receiveDigest(_ entries: [DigestEntry], wantsReply: Bool, complete: Bool, from peer: NodeId,
                               now: UInt64, _ out: inout [Outbound]) {
        stats.digestsReceived += 1
        var theirs: [NodeId: DigestEntry] = [:]
        for e in entries { theirs[e.origin] = e }

        // 1. Operations they lack, from our log; note origins where they are behind our log.
        var budget = configuration.antiEntropyReplyBytes
        var packer = OpsPacker(target: configuration.targetMessageBytes, hops: UInt8.max)
        var theyNeedState = false
        // Random order (so a large backlog of one origin does not always starve the others),
        // from a sorted start so that a seeded engine is deterministic.
        var order = origins.keys.sorted()
        for i in order.indices.reversed() where i > 0 { order.swapAt(i, rng.below(i + 1)) }
        for origin in order where budget > 0 {
            let mine = origins[origin]!
            let theirApplied: UInt64
            if let e = theirs[origin] {
                theirApplied = e.applied
            } else if complete {
                theirApplied = 0
            } else {
                continue
            }
            guard mine.applied > theirApplied else { continue }
            if theirApplied < mine.floor {
                theyNeedState = true
                continue
            }
            sendLog(origin, from: theirApplied + 1, through: mine.applied, budget: &budget, &packer)
        }
        for m in packer.finish() { out.append(Outbound(to: peer, payload: m)) }

        // 2. What we lack.
        var weLack = false
        var needState = false
        for e in entries {
            let mine = origins[e.origin]?.applied ?? 0
            if e.applied > mine {
                weLack = true
                if e.floor > mine { needState = true }
            }
        }
        if (wantsReply && weLack) || theyNeedState {
            out.append(Outbound(to: peer, payload: makeDigest(wantsReply: false)))
            stats.digestsSent += 1
        }
        if needState, inbound == nil {
            let s = StateSession(peer: peer, id: rng.next(), sentAt: now)
            inbound = s
            stats.stateTransfersStarted += 1
            out.append(Outbound(to: peer, payload: Message.stateRequest(session: s.id, cursor: []).encode()))
        }
    }

    /// Adds `origin`'s logged operations `from...through` to `packer`, until `budget` bytes.
    private func sendLog(_ origin: NodeId, from: UInt64, through: UInt64, budget: inout Int, _ packer: inout OpsPacker) {
        var next = from
        let prefix = StoreKeys.log(origin)
        while next <= through && budget > 0 {
            let rows: [(key: [UInt8], value: [UInt8])]
            do {
                rows = try store.scan(prefix: prefix, after: StoreKeys.log(origin, next - 1), limit: Int(min(through - next + 1, 128)))
            } catch {
                record(error)
                return
            }
            guard !rows.isEmpty else { return }
            for row in rows {
                // The log is contiguous; anything else (a concurrent trim) ends this origin.
                guard row.key == StoreKeys.log(origin, next) else { return }
                packer.add(row.value)
                budget -= row.value.count
                stats.antiEntropyOperationsSent += 1
                next += 1
                if budget <= 0 || next > through { return }
            }
        }
    }

    // MARK: - State transfer

    /// A chunk of our state after `cursor`, or nil when the serve budget is exhausted.
    private func serveState(session: UInt64, cursor: [UInt8], now: UInt64) -> [UInt8]? {
        let rate = Double(max(1, configuration.stateServeBytesPerSecond))
        if let last = lastServeRefill, now > last {
            serveTokens = min(rate, serveTokens + Double(now - last) * rate / 1000)
        }
        lastServeRefill = now
        guard serveTokens > 0 else {
            stats.stateRequestsDeferred += 1
            return nil
        }
        var chunk = StateChunk(session: session, cursor: cursor)
        chunk.versionVector = origins.compactMap { o, s in s.applied > 0 ? (o, s.applied) : nil }.sorted { $0.0 < $1.0 }
        let prefix = StoreKeys.crdtPrefix
        let limit = max(1, configuration.stateChunkBytes)
        var done = true
        do {
            try store.visit(prefix: prefix, after: cursor.isEmpty ? nil : prefix + cursor) { k, v in
                let size = k.count - prefix.count + v.count + 8
                if !chunk.records.isEmpty && chunk.recordBytes + size > limit {
                    done = false
                    return false
                }
                chunk.records.append((name: Array(k[prefix.count...]), value: Array(v)))
                chunk.recordBytes += size
                return true
            }
        } catch {
            record(error)
            return nil
        }
        chunk.done = done
        serveTokens -= Double(chunk.recordBytes + 64)
        stats.stateChunksServed += 1
        return Message.stateChunk(chunk).encode()
    }

    private func receiveStateChunk(_ chunk: StateChunk, from peer: NodeId, now: UInt64, _ out: inout [Outbound]) {
        stats.stateChunksReceived += 1
        guard var s = inbound, s.peer == peer, s.id == chunk.session, s.cursor == chunk.cursor else { return }
        // Records must move the cursor forward (strictly increasing names), or the transfer
        // could loop forever.
        var previous = chunk.cursor
        for r in chunk.records {
            guard previous.isEmpty || previous.lexicographicallyPrecedes(r.name) else { return abandonMalformed() }
            previous = r.name
        }
        guard chunk.done || !chunk.records.isEmpty else { return abandonMalformed() }

        var batch = WriteBatch()
        var touched: [(CRDTKind, [UInt8])] = []
        do {
            for r in chunk.records {
                let (kind, key, subkey) = try StoreKeys.parseRelative(r.name)
                touched.append((kind, key))
                if let merged = try mergeRecord(kind, key, subkey, r.value) {
                    batch.put(StoreKeys.crdtPrefix + r.name, merged)
                }
            }
        } catch {
            for (kind, key) in touched { cache.invalidate(kind, key) }
            return abandonMalformed()
        }
        do {
            try store.write(batch)
        } catch {
            // Retried after the request timeout.
            for (kind, key) in touched { cache.invalidate(kind, key) }
            record(error)
            return
        }
        var vv: [NodeId: UInt64] = [:]
        for (o, v) in chunk.versionVector { vv[o] = max(vv[o] ?? 0, v) }
        if let earlier = s.versionVector {
            var minimum: [NodeId: UInt64] = [:]
            for (o, v) in earlier { if let w = vv[o] { minimum[o] = min(v, w) } }
            vv = minimum
        }
        s.versionVector = vv
        if chunk.done {
            inbound = nil
            finishStateTransfer(vv)
        } else {
            s.cursor = chunk.records.last!.name
            s.sentAt = now
            s.attempts = 1
            inbound = s
            out.append(Outbound(to: peer, payload: Message.stateRequest(session: s.id, cursor: s.cursor).encode()))
        }
        drainBuffer()
    }

    private func abandonMalformed() {
        stats.malformedMessages += 1
        stats.stateTransfersAbandoned += 1
        inbound = nil
    }

    private func mergeRecord(_ kind: CRDTKind, _ key: [UInt8], _ subkey: [UInt8], _ value: [UInt8]) throws -> [UInt8]? {
        func merge<T: StoredCRDT>(_ typed: TypedCache<T>) throws -> [UInt8]? {
            let merged = try withState(typed, key) { try $0.mergeRecord(subkey: subkey, value: value) }
            if let m = merged { cache.grow(typed, key, by: m.count) }
            return merged
        }
        switch kind {
        case .gcounter: return try merge(cache.gcounters)
        case .pncounter: return try merge(cache.pncounters)
        case .lwwRegister: return try merge(cache.registers)
        case .orset: return try merge(cache.orsets)
        case .lwwMap: return try merge(cache.maps)
        case .rga: return try merge(cache.rgas)
        }
    }

    /// Adopts `vv` (the state now includes every operation it names): origins behind it jump
    /// to it, their retained log entries are deleted (the log must stay contiguous) and
    /// buffered operations it covers are dropped.
    private func finishStateTransfer(_ vv: [NodeId: UInt64]) {
        var batch = WriteBatch()
        var updates: [NodeId: OriginState] = [:]
        for (origin, v) in vv where v > (origins[origin]?.applied ?? 0) {
            let old = origins[origin] ?? OriginState()
            if old.applied > old.floor {
                for seq in (old.floor + 1)...old.applied { batch.delete(StoreKeys.log(origin, seq)) }
            }
            var o = OriginState()
            o.applied = v
            o.floor = v
            updates[origin] = o
            batch.put(StoreKeys.versionVector(origin), o.encode())
        }
        do {
            try store.write(batch)
        } catch {
            record(error)
            return
        }
        for (origin, o) in updates {
            origins[origin] = o
            buffer.dropCovered(origin, upTo: o.applied)
        }
        stats.stateTransfersCompleted += 1
    }
}

/// Packs encoded operations into ops messages of about `target` bytes.
struct OpsPacker {
    let target: Int
    let hops: UInt8
    private var builder: OpsMessageBuilder
    private var messages: [[UInt8]] = []

    init(target: Int, hops: UInt8) {
        self.target = target
        self.hops = hops
        builder = OpsMessageBuilder(hops: hops)
    }

    mutating func add(_ encoded: [UInt8]) {
        if !builder.isEmpty && builder.size(adding: encoded.count) > target {
            messages.append(builder.finish())
            builder = OpsMessageBuilder(hops: hops)
        }
        builder.append(encoded)
    }

    mutating func finish() -> [[UInt8]] {
        if !builder.isEmpty {
            messages.append(builder.finish())
            builder = OpsMessageBuilder(hops: hops)
        }
        defer { messages = [] }
        return messages
    }
}
