/// Limits on reassembling fragmented messages.
public struct ReassemblyLimits: Sendable {
    /// Bytes of incomplete messages one sender may hold (their declared total lengths).
    public var perPeerBytes: Int = 24 << 20
    /// Bytes of incomplete messages all senders together may hold.
    public var globalBytes: Int = 96 << 20
    /// An incomplete message is dropped this long after its first fragment arrived.
    public var timeout: Double = 10
    /// Wait this long without progress before asking the sender for missing fragments.
    public var nackDelay: Double = 0.03
    /// Interval between repeated nacks for the same message.
    public var nackInterval: Double = 0.1

    public init() {}
}

/// Reassembles fragmented messages under per-peer and global byte budgets and a time limit.
///
/// Memory for a message is reserved (and counted against the budgets) when its first fragment
/// arrives, from the total length in the header. Fragments of messages completed recently are
/// recognised as duplicates instead of starting a new message.
///
/// Not thread-safe: the transport's network thread owns it.
final class Reassembler {
    struct Key: Hashable {
        let sender: NodeId
        let session: UInt64
        let messageId: UInt32
    }

    /// A message still missing fragments.
    struct Partial {
        let kind: MessageKind
        let total: Int
        let count: Int
        var buffer: [UInt8]
        var received: [UInt64]
        var receivedCount = 0
        let createdAt: UInt64
        var lastProgressAt: UInt64
        var nextNackAt: UInt64
        var source: SocketAddress
    }

    enum Outcome: Equatable {
        case incomplete
        case complete(kind: MessageKind, payload: [UInt8])
        case dropped(DropReason)
    }

    /// A request for missing fragments of one message.
    struct NackRequest {
        let key: Key
        let source: SocketAddress
        let missing: [Range<Int>]
    }

    let limits: ReassemblyLimits
    private var partials: [Key: Partial] = [:]
    private var bytesByPeer: [NodeId: Int] = [:]
    private(set) var totalBytes = 0
    /// Recently completed (or expired) messages → when to forget them.
    private var finished: [Key: UInt64] = [:]
    private static let maximumFinished = 8192

    init(limits: ReassemblyLimits) {
        self.limits = limits
    }

    /// Incomplete messages held.
    var pendingCount: Int { partials.count }

    /// Bytes reserved for `sender`'s incomplete messages.
    func bytes(of sender: NodeId) -> Int { bytesByPeer[sender, default: 0] }

    /// Adds one authenticated fragment (the codec has validated its layout).
    func accept(_ header: DatagramHeader, body: [UInt8], source: SocketAddress, now: UInt64) -> Outcome {
        let key = Key(sender: header.sender, session: header.session, messageId: header.messageId)
        if finished[key] != nil { return .dropped(.duplicateFragment) }
        let total = Int(header.totalLength)
        let count = Int(header.fragmentCount)
        if partials[key] == nil {
            guard bytesByPeer[key.sender, default: 0] + total <= limits.perPeerBytes,
                  totalBytes + total <= limits.globalBytes else { return .dropped(.reassemblyBudgetExceeded) }
            partials[key] = Partial(kind: header.kind, total: total, count: count,
                                    buffer: [UInt8](repeating: 0, count: total),
                                    received: [UInt64](repeating: 0, count: (count + 63) / 64),
                                    createdAt: now, lastProgressAt: now, nextNackAt: 0, source: source)
            bytesByPeer[key.sender, default: 0] += total
            totalBytes += total
        }
        return place(key, header, body, source: source, now: now)
    }

    private func place(_ key: Key, _ header: DatagramHeader, _ body: [UInt8], source: SocketAddress, now: UInt64) -> Outcome {
        guard var partial = partials[key] else { return .incomplete }
        guard partial.kind == header.kind, partial.total == Int(header.totalLength),
              partial.count == Int(header.fragmentCount) else { return .dropped(.fragmentMismatch) }
        let index = Int(header.fragmentIndex)
        let bit = UInt64(1) << UInt64(index % 64)
        if partial.received[index / 64] & bit != 0 { return .dropped(.duplicateFragment) }
        partials[key] = nil  // keep the buffer uniquely referenced while writing into it
        partial.received[index / 64] |= bit
        partial.receivedCount += 1
        let range = FragmentLayout.range(total: partial.total, count: partial.count, index: index)
        partial.buffer.replaceSubrange(range, with: body)
        partial.lastProgressAt = now
        partial.source = source
        guard partial.receivedCount == partial.count else {
            partials[key] = partial
            return .incomplete
        }
        release(key, partial.total, now: now)
        return .complete(kind: partial.kind, payload: partial.buffer)
    }

    /// Drops messages older than the timeout; returns how many expired.
    func expire(now: UInt64) -> Int {
        let timeout = nanoseconds(limits.timeout)
        let expired = partials.filter { $0.value.createdAt &+ timeout <= now }
        for (key, partial) in expired {
            partials[key] = nil
            release(key, partial.total, now: now)
        }
        finished = finished.filter { $0.value > now }
        return expired.count
    }

    /// Messages that made no progress for `nackDelay` and are due for a (repeated) nack, with
    /// their missing fragment ranges (at most `maximumRanges` each).
    func dueNacks(now: UInt64, maximumRanges: Int) -> [NackRequest] {
        let delay = nanoseconds(limits.nackDelay)
        var requests: [NackRequest] = []
        for (key, partial) in partials where partial.lastProgressAt &+ delay <= now && partial.nextNackAt <= now {
            partials[key]?.nextNackAt = now &+ nanoseconds(limits.nackInterval)
            requests.append(NackRequest(key: key, source: partial.source, missing: missingRanges(partial, limit: maximumRanges)))
        }
        return requests
    }

    private func missingRanges(_ p: Partial, limit: Int) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start: Int? = nil
        for i in 0..<p.count {
            let have = p.received[i / 64] & (UInt64(1) << UInt64(i % 64)) != 0
            if !have && start == nil { start = i }
            if have, let s = start {
                ranges.append(s..<i)
                start = nil
                if ranges.count == limit { return ranges }
            }
        }
        if let s = start { ranges.append(s..<p.count) }
        return ranges
    }

    /// Forgets every incomplete message of `sender` (it left or restarted).
    func discard(sender: NodeId, now: UInt64) {
        for (key, partial) in partials where key.sender == sender {
            partials[key] = nil
            release(key, partial.total, now: now)
        }
    }

    private func release(_ key: Key, _ total: Int, now: UInt64) {
        bytesByPeer[key.sender, default: 0] -= total
        if bytesByPeer[key.sender] == 0 { bytesByPeer[key.sender] = nil }
        totalBytes -= total
        if finished.count >= Reassembler.maximumFinished {
            finished = finished.filter { $0.value > now }
            if finished.count >= Reassembler.maximumFinished { finished.removeAll() }
        }
        finished[key] = now &+ nanoseconds(limits.timeout)
    }
}
