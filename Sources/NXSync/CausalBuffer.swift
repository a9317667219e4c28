/// Received operations that cannot apply yet, by origin and sequence.
///
/// An operation applies when it is the next one of its origin (`applied + 1`: each origin's
/// operations apply in sequence order, so the version vector names exactly what the state
/// holds) and its causal dependency is present (an RGA insert's parent, an RGA delete's
/// target). Bounded by operation count and bytes; see `SyncConfiguration`.
struct CausalBuffer {
    struct Entry {
        var op: SyncOperation
        var encoded: [UInt8]
        var receivedAt: UInt64
    }

    private(set) var byOrigin: [NodeId: [UInt64: Entry]] = [:]
    private(set) var count = 0
    private(set) var bytes = 0

    func contains(_ id: OpId) -> Bool { byOrigin[id.origin]?[id.seq] != nil }

    /// Adds `entry`. At the bound, room is made by evicting the entry furthest from its turn
    /// (largest `seq - applied` of its origin) if that is further than `entry`; otherwise
    /// `entry` is dropped. Operations closest to applying thus always get in, so a full buffer
    /// cannot block progress (dropped operations are fetched again by anti-entropy).
    /// `force` admits `entry` beyond the bound (for an operation that applies at once).
    /// Returns whether `entry` was added, and how many entries were evicted.
    mutating func insert(_ entry: Entry, maxOps: Int, maxBytes: Int, force: Bool,
                         applied: (NodeId) -> UInt64) -> (added: Bool, evicted: Int) {
        let id = entry.op.id
        guard byOrigin[id.origin]?[id.seq] == nil else { return (true, 0) }
        var evicted = 0
        if !force {
            let distance = id.seq - applied(id.origin)
            while count > 0 && (count >= maxOps || bytes + entry.encoded.count > maxBytes) {
                var furthest: (origin: NodeId, seq: UInt64, distance: UInt64)?
                for (origin, entries) in byOrigin {
                    let base = applied(origin)
                    for seq in entries.keys {
                        let d = seq &- base
                        if furthest == nil || d > furthest!.distance || (d == furthest!.distance && (origin, seq) > (furthest!.origin, furthest!.seq)) {
                            furthest = (origin, seq, d)
                        }
                    }
                }
                guard let f = furthest, f.distance > distance else { return (false, evicted) }
                remove(f.origin, f.seq)
                evicted += 1
            }
            if count >= maxOps || bytes + entry.encoded.count > maxBytes { return (false, evicted) }
        }
        byOrigin[id.origin, default: [:]][id.seq] = entry
        count += 1
        bytes += entry.encoded.count
        return (true, evicted)
    }

    func peek(_ origin: NodeId, _ seq: UInt64) -> Entry? { byOrigin[origin]?[seq] }

    @discardableResult
    mutating func remove(_ origin: NodeId, _ seq: UInt64) -> Entry? {
        guard let e = byOrigin[origin]?.removeValue(forKey: seq) else { return nil }
        if byOrigin[origin]!.isEmpty { byOrigin[origin] = nil }
        count -= 1
        bytes -= e.encoded.count
        return e
    }

    var origins: [NodeId] { Array(byOrigin.keys) }

    /// Drops operations of `origin` with sequence ≤ `applied` (already in the state).
    @discardableResult
    mutating func dropCovered(_ origin: NodeId, upTo applied: UInt64) -> Int {
        guard let seqs = byOrigin[origin]?.keys.filter({ $0 <= applied }) else { return 0 }
        for s in seqs { remove(origin, s) }
        return seqs.count
    }

    /// Drops operations received before `cutoff`.
    mutating func expire(receivedBefore cutoff: UInt64) -> Int {
        var dropped = 0
        for (origin, entries) in byOrigin {
            for (seq, e) in entries where e.receivedAt < cutoff {
                remove(origin, seq)
                dropped += 1
            }
        }
        return dropped
    }
}
