/// Recently sent fragmented messages, kept so fragments a receiver reports missing (nack) can
/// be sent again. Bounded by bytes and by age (the receiver gives up after its reassembly
/// timeout anyway). Payload arrays are shared copy-on-write, so a broadcast stores one copy.
///
/// Thread-safe (senders insert from any thread, the network thread looks up and expires).
final class RetransmitCache: @unchecked Sendable {
    struct Entry {
        let kind: MessageKind
        let payload: [UInt8]
        let recipient: NodeId
        let address: SocketAddress
        let fragmentCount: Int
        let expiresAt: UInt64
        var retransmitRounds = 0
    }

    private let lock = Lock()
    private var entries: [UInt32: Entry] = [:]
    private var order: [UInt32] = []
    private var orderStart = 0
    private var bytes = 0
    let maximumBytes: Int
    let lifetime: UInt64
    /// Most nack rounds honoured per message (bounds the work one peer can cause).
    static let maximumRounds = 64

    init(maximumBytes: Int, lifetimeSeconds: Double) {
        self.maximumBytes = maximumBytes
        lifetime = nanoseconds(lifetimeSeconds)
    }

    func insert(messageId: UInt32, _ entry: Entry) {
        guard entry.payload.count <= maximumBytes else { return }
        lock.withLock {
            entries[messageId] = entry
            order.append(messageId)
            bytes += entry.payload.count
            while bytes > maximumBytes, evictOldest() {}
        }
    }

    /// The message `messageId` if `requester` is its recipient and it may be retransmitted
    /// once more; counts the round.
    func lookupForRetransmit(messageId: UInt32, requester: NodeId, now: UInt64) -> Entry? {
        lock.withLock {
            guard var entry = entries[messageId], entry.recipient == requester, entry.expiresAt > now,
                  entry.retransmitRounds < RetransmitCache.maximumRounds else { return nil }
            entry.retransmitRounds += 1
            entries[messageId] = entry
            return entry
        }
    }

    func expire(now: UInt64) {
        lock.withLock {
            while orderStart < order.count {
                let id = order[orderStart]
                if let e = entries[id], e.expiresAt > now { break }
                _ = evictOldest()
            }
        }
    }

    var byteCount: Int { lock.withLock { bytes } }

    /// Removes the oldest entry (lock held); false when empty.
    private func evictOldest() -> Bool {
        guard orderStart < order.count else { return false }
        let id = order[orderStart]
        orderStart += 1
        if let e = entries.removeValue(forKey: id) { bytes -= e.payload.count }
        if orderStart > 1024 && orderStart * 2 > order.count {
            order.removeFirst(orderStart)
            orderStart = 0
        }
        return true
    }
}
